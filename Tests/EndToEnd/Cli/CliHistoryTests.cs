using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// <c>history</c>, <c>restore --version</c>, <c>trash</c> and <c>undelete</c> run as the real CLI against a real
/// server, with a library device on the other side: without a sync on the folder and through a running one, and
/// every bad input refused with exit 1.
/// </summary>
public sealed class CliHistoryTests
{
    [Fact]
    public async Task HistoryRestoreTrashAndUndeleteWithoutARunningSync()
    {
        // Arrange: two versions of trip.md pushed from the folder; a phone follows.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var phoneDir = new TempDirectory();
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path);
        var note = Path.Combine(folder.Path, "trip.md");
        foreach (var text in new[] { "v1", "v2, longer" })
        {
            CliKit.WriteNote(folder.Path, "trip.md", text);
            var pushed = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
            Assert.True(pushed.Exit == 0, pushed.Stderr);
        }

        // Act 1: the history, then v1 back.
        var history = await CliProcess.RunAsync(["history", note]);
        var lines = history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var v1 = lines[^1].Split("  ")[^1];
        var restored = await CliProcess.RunAsync(["restore", note, "--version", v1]);

        // Assert 1: newest first, with device, size, marks and id; the restore in the file and on the phone.
        Assert.True(history.Exit == 0, history.Stderr);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d  laptop  10 bytes  current  \d+@laptop$", lines[0]);
        Assert.Matches(@"  laptop  2 bytes  -  \d+@laptop$", lines[1]);
        Assert.True(restored.Exit == 0, restored.Stderr);
        Assert.Equal($"restored trip.md to {v1} (2 bytes); synced", restored.Stdout.Trim());
        Assert.Equal("v1", CliKit.ReadNote(folder.Path, "trip.md"));
        await ClientKit.WaitUntilAsync(() => phone.Get("trip.md") == "v1", "the phone to get the restored v1");

        // Act 2: the phone deletes it; the trash lists it; undelete brings it back.
        await phone.DeleteAsync("trip.md");
        await phone.SyncBoundedAsync();
        var trash = await CliProcess.RunAsync(["trash", folder.Path]);
        var undeleted = await CliProcess.RunAsync(["undelete", "trip.md", "--folder", folder.Path]);

        // Assert 2
        Assert.True(trash.Exit == 0, trash.Stderr);
        Assert.Matches(@"^trip\.md  deleted \d{4}-\d\d-\d\dT[\d:+-]+ by phone  2 bytes$", trash.Stdout.Trim());
        Assert.True(undeleted.Exit == 0, undeleted.Stderr);
        Assert.StartsWith("undeleted trip.md (2 bytes)", undeleted.Stdout, StringComparison.Ordinal);
        Assert.Equal("v1", CliKit.ReadNote(folder.Path, "trip.md"));
        await ClientKit.WaitUntilAsync(() => phone.Get("trip.md") == "v1", "the phone to get the undeleted note");
        Assert.Equal("", (await CliProcess.RunAsync(["trash", folder.Path])).Stdout);
    }

    [Fact]
    public async Task BadInputIsAClearErrorAndChangesNothing()
    {
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var outside = new TempDirectory();
        CliKit.WriteNote(folder.Path, "trip.md", "v1");
        Assert.Equal(0, (await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"))).Exit);
        var note = Path.Combine(folder.Path, "trip.md");

        var badVersion = await CliProcess.RunAsync(["restore", note, "--version", "yesterday"]);
        var unknownVersion = await CliProcess.RunAsync(["restore", note, "--version", "999999@laptop"]);
        var notInFolder = await CliProcess.RunAsync(["history", Path.Combine(outside.Path, "trip.md")]);
        var notInTrash = await CliProcess.RunAsync(["undelete", "nothere.md", "--folder", folder.Path]);
        var notANote = await CliProcess.RunAsync(["history", Path.Combine(folder.Path, "picture.png")]);
        var noHistory = await CliProcess.RunAsync(["history", Path.Combine(folder.Path, "nothere.md")]);

        Assert.Equal((1, "notesync: --version: expected <timestamp>@<device> as `notesync history` shows it, not 'yesterday'"), (badVersion.Exit, badVersion.Stderr.Trim()));
        Assert.Equal(1, unknownVersion.Exit);
        Assert.Contains("holds no version (999999, laptop)", unknownVersion.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, notInFolder.Exit);
        Assert.Contains("is not in a synced folder", notInFolder.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, notInTrash.Exit);
        Assert.Contains("'nothere.md' is not in the trash", notInTrash.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, notANote.Exit);
        Assert.Equal((0, ""), (noHistory.Exit, noHistory.Stdout));
        Assert.Contains("the server keeps no history of nothere.md", noHistory.Stderr, StringComparison.Ordinal);
        Assert.Equal("v1", CliKit.ReadNote(folder.Path, "trip.md"));
    }

    [Fact]
    public async Task RestoreGoesThroughTheRunningSync()
    {
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var phoneDir = new TempDirectory();
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path);
        CliKit.WriteNote(folder.Path, "trip.md", "v1");
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");
        await ClientKit.WaitUntilAsync(() => phone.Get("trip.md") == "v1", "the phone to get v1");
        CliKit.WriteNote(folder.Path, "trip.md", "v2");
        await ClientKit.WaitUntilAsync(() => phone.Get("trip.md") == "v2", "the phone to get v2");
        var note = Path.Combine(folder.Path, "trip.md");
        var v1 = (await CliProcess.RunAsync(["history", note])).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split("  ")[^1];

        var restored = await CliProcess.RunAsync(["restore", note, "--version", v1]);

        Assert.True(restored.Exit == 0, restored.Stderr);
        Assert.Equal($"restored trip.md to {v1} (2 bytes) (by the running sync)", restored.Stdout.Trim());
        await CliKit.WaitForFileAsync(folder.Path, "trip.md", "v1");
        await ClientKit.WaitUntilAsync(() => phone.Get("trip.md") == "v1", "the phone to get the restored v1");
        Assert.Empty(phone.GetConflicts());
    }
}
