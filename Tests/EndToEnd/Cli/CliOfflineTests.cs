using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>The lid closed, the server gone, the process killed: nothing is lost and nothing is doubled.</summary>
public sealed class CliOfflineTests
{
    [Fact]
    public async Task OfflineEditsOnBothSidesGoUpWhenTheServerComesBack()
    {
        // Arrange: two CLI folders in sync.
        await using var server = await ServerProcess.StartAsync();
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        CliKit.WriteNote(a.Path, "shared.md", "v1");
        CliKit.WriteNote(a.Path, "old.md", "to be deleted offline");
        await using var laptop = await CliKit.StartSyncAsync(a.Path, server, "laptop");
        await using var desktop = await CliKit.StartSyncAsync(b.Path, server, "desktop");
        await CliKit.WaitForFileAsync(b.Path, "old.md", "to be deleted offline");

        // Act: the server dies under both; each side edits; the server restarts on the same data and port.
        server.Kill();
        await laptop.WaitForStderrAsync("offline:");
        await desktop.WaitForStderrAsync("offline:");
        CliKit.WriteNote(a.Path, "shared.md", "v2 from the laptop, offline");
        CliKit.WriteNote(a.Path, "train/idea.md", "written on the train");
        CliKit.WriteNote(b.Path, "desk.md", "written at the desk");
        File.Delete(Path.Combine(b.Path, "old.md"));
        await server.RestartAsync();

        // Assert: both folders converge on every edit, and the server holds each note once.
        var expected = new Dictionary<string, string>
        {
            ["desk.md"] = "written at the desk",
            ["shared.md"] = "v2 from the laptop, offline",
            ["train/idea.md"] = "written on the train",
        };
        await ClientKit.WaitUntilAsync(() => CliKit.Files(a.Path).SequenceEqual(expected) && CliKit.Files(b.Path).SequenceEqual(expected), "both folders to converge");
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(expected.ToDictionary(e => "note:" + e.Key, e => e.Value), observer.Snapshot());
        Assert.False(laptop.HasExited, laptop.Stderr);
        Assert.False(desktop.HasExited, desktop.Stderr);
    }

    [Fact]
    public async Task CtrlCStopsCleanlyAndTheQueuedEditGoesUpWithTheNextPush()
    {
        // Arrange: a live sync loses its server, then the person edits.
        await using var server = await ServerProcess.StartAsync();
        using var folder = new TempDirectory();
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");
        server.Kill();
        await cli.WaitForStderrAsync("offline:");
        CliKit.WriteNote(folder.Path, "queued.md", "written offline");
        var statusFile = Path.Combine(folder.Path, ".notesync", "status.json");
        await ClientKit.WaitUntilAsync(() => File.Exists(statusFile) && File.ReadAllText(statusFile).Contains("\"outbox\": 1", StringComparison.Ordinal), "the edit to be queued");

        // Act: Ctrl+C, then status (offline, from the store), then a push once the server is back.
        cli.Interrupt();
        var exit = await cli.WaitForExitAsync();
        var (statusExit, status, _) = await CliProcess.RunAsync(["status", folder.Path]);
        await server.RestartAsync();
        var (pushExit, pushOut, pushErr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));

        // Assert
        Assert.Equal(130, exit);
        Assert.Contains("stopped", cli.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, statusExit);
        Assert.Contains("sync:      not running", status, StringComparison.Ordinal);
        Assert.Contains("outbox:    1", status, StringComparison.Ordinal);
        Assert.Contains("device:    laptop", status, StringComparison.Ordinal);
        Assert.False(File.Exists(statusFile));
        Assert.True(pushExit == 0, pushErr);
        Assert.Contains("1 writes acknowledged", pushOut, StringComparison.Ordinal);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal("written offline", observer.ValueOf("note:queued.md"));
    }

    [Fact]
    public async Task KillMinusNineMidPushThenRestartLosesNothingAndDoublesNothing()
    {
        // Arrange: enough files that the push takes several batches.
        const int count = 3000;
        await using var server = await ServerProcess.StartAsync();
        using var folder = new TempDirectory();
        for (var i = 0; i < count; i++)
        {
            CliKit.WriteNote(folder.Path, $"n/{i:D4}.md", $"note {i}");
        }

        await using var observer = HttpDevice.Create(server, "observer");

        // Act: as soon as the server has part of it, freeze the server (so the push cannot finish
        // meanwhile) and kill -9 the CLI; then let the server go on and push again.
        await using (var first = CliProcess.Start(CliKit.OneShot("push", folder.Path, server, "laptop")))
        {
            await ClientKit.WaitUntilAsync(async () => (await observer.PullAsync()) is not null && observer.Snapshot().Count > 0, "the first batch on the server");
            server.Signal("STOP");
            first.Kill();
            server.Signal("CONT");
        }

        await observer.PullAsync();
        var atKill = observer.Snapshot().Count;
        var (exit, stdout, stderr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        var final = await observer.PullAsync();

        // Assert: it was killed mid-push; afterwards every file is there once with its content, and the
        // server's cursor equals the number of files: no write was applied twice or made anew.
        Assert.InRange(atKill, 1, count - 1);
        Assert.True(exit == 0, stderr);
        Assert.Contains("pushed: 0 changed files", stdout, StringComparison.Ordinal);
        var snapshot = observer.Snapshot();
        Assert.Equal(count, snapshot.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal($"note {i}", snapshot[$"note:n/{i:D4}.md"]);
        }

        Assert.Equal(count, final.AckTimestamp);
    }
}
