using System.Text.Json;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// <c>sync --once</c>, as cron runs it: one round both ways (edits up, remote changes down, a crossed edit
/// kept beside the other), then exit 0; exit 2 when the server cannot be reached. What the round leaves is
/// read back with <c>status --json</c> and <c>conflicts --json</c>.
/// </summary>
public sealed class CliOnceTests
{
    [Fact]
    public async Task OneRoundSendsEditsWritesRemoteChangesKeepsACrossedEditAndExits()
    {
        // Arrange: a folder synced once; then the phone edits one note and adds another, and the laptop,
        // not syncing, edits the same note and adds one of its own.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        CliKit.WriteNote(folder.Path, "shared.md", "v1");
        var first = await CliProcess.RunAsync(Once(folder.Path, server));
        Assert.True(first.Exit == 0, first.Stderr);
        await using (var phone = HttpDevice.Create(server, "phone"))
        {
            await phone.PullAsync();
            await phone.EditAsync("note:shared.md", "phone's v2");
            await phone.PutAsync("note:from-phone.md", "written on the phone");
        }

        CliKit.WriteNote(folder.Path, "shared.md", "laptop's v2");
        CliKit.WriteNote(folder.Path, "from-laptop.md", "written on the laptop");

        // Act
        var (exit, stdout, stderr) = await CliProcess.RunAsync(Once(folder.Path, server));
        var status = await CliProcess.RunAsync(["status", folder.Path, "--json"]);
        var conflicts = await CliProcess.RunAsync(["conflicts", folder.Path, "--json"]);

        // Assert: exited by itself; the server has the laptop's note, the folder the phone's, and both
        // versions of the crossed note are in the folder (the note and its conflict copy).
        Assert.True(exit == 0, stderr);
        Assert.Contains("synced once: ", stdout, StringComparison.Ordinal);
        var onServer = await ServerNotes.ReadAsync(server);
        Assert.Equal("written on the laptop", onServer["note:from-laptop.md"]);
        Assert.Equal("written on the phone", CliKit.ReadNote(folder.Path, "from-phone.md"));
        var sharedVersions = CliKit.Files(folder.Path).Where(f => f.Key.StartsWith("shared.", StringComparison.Ordinal)).Select(f => f.Value).Order(StringComparer.Ordinal);
        Assert.Equal(["laptop's v2", "phone's v2"], sharedVersions);

        // status --json: one document, the documented fields, nothing running.
        Assert.True(status.Exit == 0, status.Stderr);
        using var statusDoc = JsonDocument.Parse(status.Stdout);
        var s = statusDoc.RootElement;
        Assert.Equal(Path.GetFullPath(folder.Path), s.GetProperty("folder").GetString());
        Assert.Equal(server.BaseUri.ToString(), s.GetProperty("server").GetString());
        Assert.Equal("laptop", s.GetProperty("device").GetString());
        Assert.False(s.GetProperty("running").GetBoolean());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("pid").ValueKind);
        Assert.Equal("offline", s.GetProperty("state").GetString());
        Assert.Equal("none", s.GetProperty("transport").GetString());
        Assert.False(s.GetProperty("fell_back_to_polling").GetBoolean());
        Assert.Equal(0, s.GetProperty("outbox").GetInt32());
        Assert.True(s.GetProperty("last_ack").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Null, s.GetProperty("last_error").ValueKind);
        Assert.Equal(["shared.md"], s.GetProperty("conflicts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, s.GetProperty("refused").GetArrayLength());

        // conflicts --json: the note and its copy, as the folder holds them.
        Assert.True(conflicts.Exit == 0, conflicts.Stderr);
        using var conflictsDoc = JsonDocument.Parse(conflicts.Stdout);
        var only = Assert.Single(conflictsDoc.RootElement.GetProperty("conflicts").EnumerateArray());
        Assert.Equal("shared.md", only.GetProperty("path").GetString());
        var copy = Assert.Single(only.GetProperty("copies").EnumerateArray()).GetString()!;
        Assert.StartsWith("shared.conflict-", copy, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder.Path, copy)), copy);
    }

    [Fact]
    public async Task OneRoundWithTheServerOutOfReachExitsTwoAndKeepsTheEditForTheNextRound()
    {
        // Arrange: a folder synced once, then the server gone (nothing listens on its port), and an edit.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        var first = await CliProcess.RunAsync(Once(folder.Path, server));
        Assert.True(first.Exit == 0, first.Stderr);
        await server.StopAsync();
        CliKit.WriteNote(folder.Path, "queued.md", "written while the server was down");

        // Act
        var (exit, _, stderr) = await CliProcess.RunAsync(Once(folder.Path, server));
        await server.StartAgainAsync();
        var again = await CliProcess.RunAsync(Once(folder.Path, server));

        // Assert: exit 2 with the reason, and the edit goes up with the next round.
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.Contains("server unreachable", stderr, StringComparison.Ordinal);
        Assert.True(again.Exit == 0, again.Stderr);
        Assert.Equal("written while the server was down", (await ServerNotes.ReadAsync(server))["note:queued.md"]);
    }

    private static string[] Once(string folder, ITestServer server) => CliKit.Sync(folder, server, "laptop", "--once");
}
