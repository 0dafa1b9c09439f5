using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>Polling, the fallback from a refused WebSocket, and the errors scripts see as exit codes.</summary>
public sealed class CliTransportTests
{
    [Fact]
    public async Task PollingModeSyncsBothWays()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        await using var library = ClientKit.Start(server, "lib", libDir.Path);
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "poller", "--poll", "--interval-ms", "200");

        // Act
        CliKit.WriteNote(folder.Path, "up.md", "by polling");
        await library.PutAsync("down.md", "to the poller");

        // Assert
        await ClientKit.WaitUntilAsync(() => library.Get("up.md") == "by polling", "the library has the poller's note");
        await CliKit.WaitForFileAsync(folder.Path, "down.md", "to the poller");
        Assert.Contains("online (polling)", cli.Stderr, StringComparison.Ordinal);
        var (_, status, _) = await CliProcess.RunAsync(["status", folder.Path]);
        Assert.Contains("transport:  polling", status, StringComparison.Ordinal);
        Assert.Contains("sync:       running", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedWebSocketFallsBackToPollingAndSaysSo()
    {
        // Arrange: the hub path points where the real server serves nothing, so the upgrade gets a real 404.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        await using var library = ClientKit.Start(server, "lib", libDir.Path);
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "refused", "--hub-path", "no-such-hub", "--interval-ms", "200");

        // Act
        CliKit.WriteNote(folder.Path, "up.md", "after the fallback");
        await library.PutAsync("down.md", "reaches the fallback");

        // Assert
        await ClientKit.WaitUntilAsync(() => library.Get("up.md") == "after the fallback", "the library has the note");
        await CliKit.WaitForFileAsync(folder.Path, "down.md", "reaches the fallback");
        Assert.Contains("online (polling; the server refused the WebSocket)", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedTokenUnreachableServerAndBusyFolderEachHaveTheirExitCode()
    {
        // Arrange: an auth-on server.
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        using var folder = new TempDirectory();
        using var other = new TempDirectory();
        var badToken = new Dictionary<string, string> { ["NOTESYNC_TOKEN"] = TestTokens.Mint("alice", key: TestTokens.WrongKey) };
        var goodToken = TestTokens.Mint("alice");

        // Act
        var refusedSync = await CliProcess.RunAsync(CliKit.Sync(folder.Path, server, "laptop"), badToken);
        var refusedPush = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"), badToken);
        await using var running = await CliKit.StartSyncAsync(other.Path, server, "desktop", "--token", goodToken);
        var busy = await CliProcess.RunAsync(CliKit.OneShot("push", other.Path, server, "desktop", "--token", goodToken));
        var wrongDevice = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "phone"));
        await server.StopAsync();
        var unreachable = await CliProcess.RunAsync(CliKit.OneShot("pull", folder.Path, server, "laptop", "--token", goodToken));
        var noFolder = await CliProcess.RunAsync(["push", Path.Combine(folder.Path, "missing"), "--server", server.BaseUri.ToString(), "--device", "x"]);
        var noArgs = await CliProcess.RunAsync(["sync"]);

        // Assert: one line each, and the documented codes.
        AssertFailure(refusedSync, 3, "401");
        AssertFailure(refusedPush, 3, "401");
        AssertFailure(busy, 5, "another notesync process");
        AssertFailure(wrongDevice, 1, "syncs as device 'laptop'");
        AssertFailure(unreachable, 2, "server unreachable");
        AssertFailure(noFolder, 1, "folder not found");
        Assert.Equal(1, noArgs.Exit);
    }

    [Fact]
    public async Task AFullSpaceExitsPushWithSixAndTheReasonAndTheEditsGoUpOnceThereIsRoom()
    {
        // Arrange: a space of two notes, and a folder of three.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxNotesPerSpace"] = "2" });
        using var folder = new TempDirectory();
        foreach (var name in new[] { "a.md", "b.md", "c.md" })
        {
            CliKit.WriteNote(folder.Path, name, $"note {name}");
        }

        // Act: push; then, with one note deleted in the folder, push again.
        var full = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        File.Delete(Path.Combine(folder.Path, "c.md"));
        var room = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));

        // Assert: the server's reason and code 6; nothing lost: the next push sends all of it.
        AssertFailure(full, 6, "the server refused the edits: quota_exceeded: the space would hold 3 notes, more than NoteSync:Limits:MaxNotesPerSpace (2); delete notes to make room; they stay queued");
        Assert.True(room.Exit == 0, $"exit {room.Exit}; stderr: {room.Stderr}");
        await using var reader = HttpDevice.Create(server, "reader");
        await reader.PullAsync();
        Assert.Equal(["note:a.md", "note:b.md"], reader.Snapshot().Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("status")]
    [InlineData("conflicts")]
    [InlineData("resolve")]
    [InlineData("pull")]
    [InlineData("push")]
    public async Task EveryCommandHasHelp(string command)
    {
        var (exit, stdout, _) = await CliProcess.RunAsync([command, "--help"]);

        Assert.Equal(0, exit);
        Assert.Contains($"notesync {command}", stdout, StringComparison.Ordinal);
        Assert.Contains("Options:", stdout, StringComparison.Ordinal);
    }

    private static void AssertFailure((int Exit, string Stdout, string Stderr) run, int exit, string message)
    {
        Assert.True(run.Exit == exit, $"exit {run.Exit}, expected {exit}; stderr: {run.Stderr}");
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("notesync: ", StringComparison.Ordinal) && l.Contains(message, StringComparison.Ordinal));
    }
}
