using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// Names that cannot be files or keys (docs/client.md, "Which files are notes"): notes a server took
/// before the key rule, and local files whose names break it or are not portable, are skipped with a
/// warning that prints every unprintable character as <c>&lt;U+XXXX&gt;</c>, counted, and never written,
/// uploaded or deleted; the rest syncs.
/// </summary>
public sealed class CliNameTests
{
    // Characters that must never reach the terminal raw: ESC, BEL, CR, LF, CSI, RLO.
    private static readonly char[] Raw = ['\u001b', '\u0007', '\r', '\u009b', '\u202e'];

    [Fact]
    public async Task NotesAServerTookBeforeTheKeyRuleAreServedButNeverBecomeFiles()
    {
        // Arrange: a data directory written before the key rule existed, with hostile and Windows-only names.
        using var dataDir = new TempDirectory();
        string[] hostile =
        [
            "note:evil\u001b]0;pwned\u0007.md",
            "note:x\r\nnotesync: FAKE STATUS.md",
            "note:invoice\u202egpj.md",
            "note:cafe\u0301.md",
            "note:C:/Windows/x.md",
            "note:CON.md",
            "note:a\\..\\..\\escape.md",
            "note:x.md.",
            "note:../outside.md",
        ];
        await using (var store = new SqliteSyncStore(dataDir.Path, NullLogger.Instance))
        {
            var t = 0;
            await store.ApplyAsync(DeviceIdentity.DefaultSpace, [
                .. hostile.Select(k => new KeyedWrite(k, new Write(++t, "old-device", "hostile"))),
                new KeyedWrite("note:fine.md", new Write(++t, "old-device", "fine")),
                new KeyedWrite("note:sub/also fine.md", new Write(++t, "old-device", "also fine")),
            ]);
        }

        await using var server = await InProcessServer.StartAsync(dataDir: dataDir.Path);
        using var parent = new TempDirectory();
        var folder = Path.Combine(parent.Path, "notes");

        // The server still serves every one of them, and refuses a new write to one.
        await using var device = HttpDevice.Create(server, "device");
        await device.PullAsync();
        Assert.Equal(hostile.Length + 2, device.Snapshot().Count);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => device.PutAsync(hostile[0], "changed"));
        Assert.Contains("bad_request: changes[0].key must not contain U+001B (a control character)", refused.Message, StringComparison.Ordinal);

        // Act
        var (exit, stdout, stderr) = await CliProcess.RunAsync(CliKit.OneShot("pull", folder, server, "laptop"));

        // Assert: the good notes are files; nothing else was created, in the folder or beside it.
        Assert.True(exit == 0, stderr);
        Assert.Equal(new Dictionary<string, string> { ["fine.md"] = "fine", ["sub/also fine.md"] = "also fine" }, CliKit.Files(folder));
        Assert.Equal(["notes"], Directory.EnumerateFileSystemEntries(parent.Path).Select(Path.GetFileName));
        Assert.Equal([".notesync", "sub"], Directory.EnumerateDirectories(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Each one warned about once, escaped; none printed raw; the count in the summary.
        string[] warnings =
        [
            "skipping evil<U+001B>]0;pwned<U+0007>.md: its key must not contain U+001B (a control character)",
            "skipping x<U+000D><U+000A>notesync: FAKE STATUS.md: its key must not contain U+000D (a control character)",
            "skipping invoice<U+202E>gpj.md: its key must not contain U+202E (a bidirectional control)",
            "skipping cafe\u0301.md: its key must be in Unicode normalization form C",
            "skipping C:/Windows/x.md: its name holds ':', which Windows does not allow in a file name",
            "skipping CON.md: 'CON.md' is a device name on Windows",
            "skipping a\\..\\..\\escape.md: its name holds '\\', which Windows does not allow in a file name",
            "skipping x.md.: 'x.md.' ends in a dot or a space, which Windows drops",
            "skipping ../outside.md: its name has an empty, '.' or '..' part",
        ];
        foreach (var warning in warnings)
        {
            Assert.Single(Lines(stderr), line => line == $"notesync: {warning}");
        }

        Assert.Equal(-1, (stdout + stderr).IndexOfAny(Raw));
        Assert.Contains($"pulled: 2 files written, 0 notes in conflict, {hostile.Length} skipped (see the warnings above)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalFilesWhoseNamesCannotBeNotesAreSkippedAndNeverUploadedNorDeleted()
    {
        // Arrange: a folder with one good note and files named with what a key or a Windows folder cannot hold.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        string[] skipped = ["evil\u001b]0;pwned\u0007.md", "invoice\u202egpj.md", "cafe\u0301.md", "a\\b.md", "why?.md", "CON.md", "x.md.", "dir /y.md"];
        CliKit.WriteNote(folder.Path, "ok.md", "ok");
        foreach (var name in skipped)
        {
            CliKit.WriteNote(folder.Path, name, $"content of {name}");
        }

        // Act
        var (exit, stdout, stderr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));

        // Assert: only the good note went up; every file is still there, as it was; each warned about, escaped.
        Assert.True(exit == 0, stderr);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(new Dictionary<string, string> { ["note:ok.md"] = "ok" }, observer.Snapshot());
        foreach (var name in skipped)
        {
            Assert.Equal($"content of {name}", CliKit.ReadNote(folder.Path, name));
        }

        Assert.Contains("notesync: skipping evil<U+001B>]0;pwned<U+0007>.md: its key must not contain U+001B (a control character)", Lines(stderr));
        Assert.Contains("notesync: skipping invoice<U+202E>gpj.md: its key must not contain U+202E (a bidirectional control)", Lines(stderr));
        Assert.Contains("notesync: skipping cafe\u0301.md: its name is not in Unicode normalization form C, and this file system tells it from its NFC form (another file, or none): rename it to the NFC form", Lines(stderr));
        Assert.Contains("notesync: skipping a\\b.md: its name holds '\\', which Windows does not allow in a file name", Lines(stderr));
        Assert.Contains("notesync: skipping why?.md: its name holds '?', which Windows does not allow in a file name", Lines(stderr));
        Assert.Contains("notesync: skipping CON.md: 'CON.md' is a device name on Windows", Lines(stderr));
        Assert.Contains("notesync: skipping x.md.: 'x.md.' ends in a dot or a space, which Windows drops", Lines(stderr));
        Assert.Contains("notesync: skipping dir /y.md: 'dir ' ends in a dot or a space, which Windows drops", Lines(stderr));
        Assert.Equal(-1, (stdout + stderr).IndexOfAny(Raw));
        Assert.Contains($"pushed: 1 changed files, 1 writes acknowledged, 0 notes in conflict, {skipped.Length} skipped (see the warnings above)", stdout, StringComparison.Ordinal);

        // Live: a file named so while the sync runs is warned about the same way; the files stay, a good one goes up.
        await using (var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop"))
        {
            Assert.Contains($"{skipped.Length} skipped (see the warnings above)", cli.Stdout, StringComparison.Ordinal);
            CliKit.WriteNote(folder.Path, "live\u001b[2J.md", "clears the screen");
            await cli.WaitForStderrAsync("notesync: skipping live<U+001B>[2J.md: its key must not contain U+001B (a control character)");
            CliKit.WriteNote(folder.Path, "later.md", "later");
            await ClientKit.WaitUntilAsync(
                async () =>
                {
                    await observer.PullAsync();
                    return observer.ValueOf("note:later.md") == "later";
                },
                "the later note on the server");
            Assert.Equal(-1, (cli.Stdout + cli.Stderr).IndexOfAny(Raw));
        }

        Assert.Equal(["note:later.md", "note:ok.md"], observer.Snapshot().Keys.Order(StringComparer.Ordinal));
        foreach (var name in skipped.Append("live\u001b[2J.md"))
        {
            Assert.NotNull(CliKit.ReadNote(folder.Path, name));
        }
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.TrimEntries);
}
