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
    public async Task AnEmptyFileLeftByACrashDuringADownloadIsFilledInNotPushed()
    {
        // Arrange: a pull writes its files unflushed and flushes the file system once per batch; a crash
        // before that flush can leave a new file's name with none of its bytes, and no index entry.
        await using var server = await ServerProcess.StartAsync();
        await using var writer = HttpDevice.Create(server, "writer");
        await writer.PutManyAsync([("note:a.md", "alpha"), ("note:b.md", "beta")]);
        using var folder = new TempDirectory();
        var (pullExit, _, pullErr) = await CliProcess.RunAsync(CliKit.OneShot("pull", folder.Path, server, "laptop"));
        Assert.True(pullExit == 0, pullErr);
        File.WriteAllBytes(Path.Combine(folder.Path, "a.md"), []);
        using (var index = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(folder.Path, ".notesync", "index.db")};Pooling=False"))
        {
            index.Open();
            using var forget = index.CreateCommand();
            forget.CommandText = "DELETE FROM files WHERE path = 'a.md'";
            Assert.Equal(1, forget.ExecuteNonQuery());
        }

        // Act
        var (pushExit, pushOut, pushErr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));

        // Assert: the file holds the note again and nothing went up.
        Assert.True(pushExit == 0, pushErr);
        Assert.Equal("alpha", CliKit.ReadNote(folder.Path, "a.md"));
        Assert.Contains("0 writes acknowledged", pushOut, StringComparison.Ordinal);
        await writer.PullAsync();
        Assert.Equal("alpha", writer.ValueOf("note:a.md"));
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

        // Between its retries the sync says "connecting": status is read until it shows a retry's outcome.
        var running = "";
        await ClientKit.WaitUntilAsync(
            async () =>
            {
                running = (await CliProcess.RunAsync(["status", folder.Path])).Stdout;
                return running.Contains("state:      offline", StringComparison.Ordinal);
            },
            "status to show the running sync offline");

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
        Assert.Matches(@"(?m)^state:      offline$", running);
        Assert.Matches(@"(?m)^last_error: \S", running);
        Assert.Contains("sync:       not running", status, StringComparison.Ordinal);
        Assert.Contains("outbox:     1", status, StringComparison.Ordinal);
        Assert.Contains("device:     laptop", status, StringComparison.Ordinal);
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
        // Arrange: enough files for several pushes (500 writes each), and a server that takes at most two
        // pushes a second per device, so the push is still going when the kill comes however fast the machine.
        const int count = 3000;
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__Limits__PushesPerSecond"] = "2",
            ["NoteSync__Limits__PushBurst"] = "1",

            // The observer's pull is one page, so the poll that first sees part of the push returns at once.
            ["NoteSync__Sync__PageBytes"] = "1048576",
        });
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
            for (var polls = 0; (await PullWithinRateLimitAsync(observer)).Count == 0; polls++)
            {
                Assert.False(first.HasExited, first.Stderr);
                Assert.True(polls < 100, "nothing reached the server within a minute: " + first.Stderr);
            }

            server.Signal("STOP");
            first.Kill();
            server.Signal("CONT");
        }

        var atKill = (await PullWithinRateLimitAsync(observer)).Count;
        var (exit, stdout, stderr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        var snapshot = await PullWithinRateLimitAsync(observer);

        // Assert: it was killed mid-push; afterwards every file is there once with its content, and the
        // server's cursor equals the number of files: no write was applied twice or made anew.
        Assert.InRange(atKill, 1, count - 1);
        Assert.True(exit == 0, stderr);
        // The kill may come before the start-up scan has queued every file (uploading begins with the
        // first thousand); those are new to the second run. A file already on the server never is.
        var changed = System.Text.RegularExpressions.Regex.Match(stdout, @"pushed: ([\d,]+) changed files");
        Assert.True(changed.Success, stdout);
        Assert.InRange(int.Parse(changed.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture), 0, count - atKill);
        Assert.Equal(count, snapshot.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal($"note {i}", snapshot[$"note:n/{i:D4}.md"]);
        }

        Assert.Equal(count, observer.Cursor);
    }

    /// <summary>A pull by a device under the test's rate limit: one every 600 ms at most, a 429 waited out.</summary>
    private static async Task<Dictionary<string, string>> PullWithinRateLimitAsync(HttpDevice observer)
    {
        for (var attempt = 0; ; attempt++)
        {
            await Task.Delay(600);
            try
            {
                await observer.PullAsync();
                return observer.Snapshot();
            }
            catch (HttpRequestException e) when (e.Message.Contains("429", StringComparison.Ordinal) && attempt < 20)
            {
                // Over the limit: the next try comes after the bucket refilled.
            }
        }
    }
}
