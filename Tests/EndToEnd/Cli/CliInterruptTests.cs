using Microsoft.Data.Sqlite;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// Ctrl+C at each stage of a live sync's life. Most runs start the CLI with SIGINT ignored, as a
/// background job of a non-interactive shell (a script's <c>&amp;</c>, a CI runner) inherits it: then only
/// the CLI's own handler can see the signal. Each run must exit 130 within a bound, and a later
/// <c>push</c> must bring every note to the server: nothing queued is lost, whenever the signal came.
/// </summary>
public sealed class CliInterruptTests
{
    /// <summary>Far above a clean stop (well under a second here) and far below the tests' one-minute exit wait.</summary>
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(20);

    /// <summary>How long a stage may take to show: a 2-core machine running other suites took over 30 s to a first sync.</summary>
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(90);

    /// <summary>Runs the rest with SIGINT ignored on entry, then execs it: the disposition survives the exec.</summary>
    private static readonly string[] SigintIgnored = ["bash", "-c", "trap '' INT; exec \"$@\"", "sigint-ignored"];

    /// <summary>
    /// Runs the rest with SIGINT at its default, as a terminal runs a foreground job, whatever the test run
    /// inherited: a runner started as a background job passes SIGINT on ignored, and a signal in the
    /// runtime's start-up, before notesync can take it back, would then be dropped.
    /// </summary>
    private static readonly string[] SigintDefault = ["env", "--default-signal=INT"];

    [Theory]
    [InlineData("starting", false)]
    [InlineData("scanning", true)]
    [InlineData("uploading", true)]
    [InlineData("offline", true)]
    [InlineData("online", true)]
    public async Task CtrlCStopsTheSyncPromptlyAtEveryStageAndLosesNothing(string stage, bool startedWithSigintIgnored)
    {
        // Arrange: enough notes for progress lines where the stage is one of them; for the upload, a server
        // that takes two pushes a second, so the upload is still going when the signal comes.
        var many = stage is "scanning" or "uploading";
        await using var server = await InProcessServer.StartAsync(stage == "uploading"
            ? new Dictionary<string, string> { ["NoteSync__Limits__PushesPerSecond"] = "2", ["NoteSync__Limits__PushBurst"] = "1" }
            : null);
        using var folder = new TempDirectory();
        using var elsewhere = new TempDirectory();
        for (var i = 0; i < (many ? 1500 : 3); i++)
        {
            CliKit.WriteNote(folder.Path, $"n/{i:D4}.md", $"note {i}");
        }

        if (stage == "offline")
        {
            // Nothing listens on the port: to the CLI, the same as a server that crashed.
            await server.StopAsync();
        }

        // Act: the signal once the stage is seen (a line printed), or at once for the start itself.
        int exit;
        string stderr;
        await using (var cli = CliProcess.Start(CliKit.Sync(folder.Path, server, "laptop"), wrapper: startedWithSigintIgnored ? SigintIgnored : SigintDefault))
        {
            switch (stage)
            {
                case "starting":
                    // Only once env has set SIGINT to the default: before that, a runner's ignore still holds.
                    await ClientKit.WaitUntilAsync(() => !IgnoresSigint(cli.ProcessId) || cli.HasExited, "SIGINT at its default in the child", Ready);
                    break;
                case "scanning":
                    await cli.WaitForStderrAsync("scanning ", Ready);
                    break;
                case "uploading":
                    await cli.WaitForStderrAsync("uploading ", Ready);
                    break;
                case "offline":
                    await cli.WaitForStderrAsync("offline:", Ready);
                    break;
                case "online":
                    await ClientKit.WaitUntilAsync(() => cli.Stdout.Contains("in sync:", StringComparison.Ordinal) || cli.HasExited, "the first sync to finish", Ready);
                    break;
            }

            Assert.False(cli.HasExited, cli.Stderr);
            cli.Interrupt();
            exit = await cli.WaitForExitAsync(StopWithin);
            stderr = cli.Stderr;
        }

        if (stage == "offline")
        {
            await server.StartAgainAsync();
        }

        var push = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        var pull = await CliProcess.RunAsync(CliKit.OneShot("pull", elsewhere.Path, server, "phone"));

        // Assert: a clean stop (a signal before the handler exists ends the process by the default action,
        // which also reads 130), and every note on the server once the next push ran.
        Assert.True(exit == 130, $"exit {exit}:\n{stderr}");
        if (stage != "starting")
        {
            Assert.Contains("notesync: stopped;", stderr, StringComparison.Ordinal);
        }

        Assert.True(push.Exit == 0, push.Stderr);
        Assert.True(pull.Exit == 0, pull.Stderr);
        Assert.Equal(CliKit.Files(folder.Path), CliKit.Files(elsewhere.Path));
    }

    [Fact]
    public async Task SecondCtrlCQuitsAtOnceWhileTheCleanStopWaitsAndTheNextPushSendsEverything()
    {
        // Arrange: a folder that synced once, then 150 new notes, and another program holding the store's
        // write lock: the startup scan reads the notes, and its write (and so the clean stop, which still
        // queues what the scan read) waits on that lock for SQLite's 30 s busy timeout.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var elsewhere = new TempDirectory();
        var first = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        Assert.True(first.Exit == 0, first.Stderr);
        for (var i = 0; i < 150; i++)
        {
            CliKit.WriteNote(folder.Path, $"n/{i:D3}.md", $"note {i}");
        }

        int exit;
        string stderr;
        TimeSpan forcedIn;
        await using (var holder = new SqliteConnection($"Data Source={Path.Combine(folder.Path, ".notesync", "db", "notesync.db")};Pooling=False"))
        {
            await holder.OpenAsync();
            await using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                await begin.ExecuteNonQueryAsync();
            }

            await using var cli = CliProcess.Start(CliKit.Sync(folder.Path, server, "laptop"), wrapper: SigintIgnored);
            await cli.WaitForStderrAsync("scanning ", Ready);

            // Act: Ctrl+C, seen (the hint is printed); then Ctrl+C again while the stop waits on the lock.
            cli.Interrupt();
            await cli.WaitForStderrAsync("Ctrl+C again quits at once", Ready);
            var second = System.Diagnostics.Stopwatch.StartNew();
            cli.Interrupt();
            exit = await cli.WaitForExitAsync(StopWithin);
            forcedIn = second.Elapsed;
            stderr = cli.Stderr;
        }

        var push = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        var pull = await CliProcess.RunAsync(CliKit.OneShot("pull", elsewhere.Path, server, "phone"));

        // Assert: ended by the second signal (no clean "stopped" line, long before the lock's timeout), and
        // the notes the cut-short scan had read go up with the next push all the same.
        Assert.Equal(130, exit);
        Assert.DoesNotContain("notesync: stopped;", stderr, StringComparison.Ordinal);
        Assert.True(forcedIn < TimeSpan.FromSeconds(10), $"the second Ctrl+C took {forcedIn}");
        Assert.True(push.Exit == 0, push.Stderr);
        Assert.Contains("150 writes acknowledged", push.Stdout, StringComparison.Ordinal);
        Assert.True(pull.Exit == 0, pull.Stderr);
        Assert.Equal(CliKit.Files(folder.Path), CliKit.Files(elsewhere.Path));
    }

    [Fact]
    public async Task SigtermStopsTheSyncCleanlyWithExit143AndTheQueuedEditGoesUpNextTime()
    {
        // Arrange: a live sync, with the server gone and an edit queued, as a service manager finds it.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");
        await server.StopAsync();
        await cli.WaitForStderrAsync("offline:", Ready);
        CliKit.WriteNote(folder.Path, "queued.md", "written before the stop");
        var statusFile = Path.Combine(folder.Path, ".notesync", "status.json");
        await ClientKit.WaitUntilAsync(() => File.Exists(statusFile) && File.ReadAllText(statusFile).Contains("\"outbox\": 1", StringComparison.Ordinal), "the edit to be queued", Ready);

        // Act: SIGTERM, as systemctl stop sends it; then a push once the server is back.
        cli.Terminate();
        var exit = await cli.WaitForExitAsync(StopWithin);
        await server.StartAgainAsync();
        var push = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));

        // Assert: 128 + SIGTERM after the clean stop (the status file removed), and nothing lost.
        Assert.True(exit == 143, $"exit {exit}:\n{cli.Stderr}");
        Assert.Contains("notesync: stopped;", cli.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(statusFile));
        Assert.True(push.Exit == 0, push.Stderr);
        Assert.Equal("written before the stop", (await ServerNotes.ReadAsync(server))["note:queued.md"]);
    }

    /// <summary>Whether the process ignores SIGINT (bit 2 of SigIgn in /proc/&lt;pid&gt;/status); false once it is gone.</summary>
    private static bool IgnoresSigint(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 2) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
