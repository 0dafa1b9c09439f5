using System.Diagnostics;
using NoteSync.Tests.Infra;
using Xunit.Abstractions;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>A first sync of thousands of notes, up and down, with progress on stderr.</summary>
public sealed class CliBulkTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FiveThousandFilesGoUpAndDownWithProgress()
    {
        // Arrange
        const int count = 5000;
        await using var server = await InProcessServer.StartAsync();
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        for (var i = 0; i < count; i++)
        {
            CliKit.WriteNote(a.Path, $"d{i % 50:D2}/note-{i:D4}.md", $"# note {i}\n");
        }

        // Act: push from one folder, then a live sync into an empty one.
        var clock = Stopwatch.StartNew();
        var push = await CliProcess.RunAsync(CliKit.OneShot("push", a.Path, server, "laptop"));
        var pushTime = clock.Elapsed;
        clock.Restart();
        await using var sync = CliProcess.Start(CliKit.Sync(b.Path, server, "desktop"));
        // Progress goes to stderr and the summary to stdout, two pipes read apart: the one written first
        // may be read last, so both are waited for.
        await ClientKit.WaitUntilAsync(
            () => (sync.Stdout.Contains("in sync:", StringComparison.Ordinal) && sync.Stderr.Contains("downloading: 5,000 notes written", StringComparison.Ordinal)) || sync.HasExited,
            "the download to finish",
            TimeSpan.FromSeconds(90));
        var syncTime = clock.Elapsed;
        output.WriteLine($"push of {count} files: {pushTime.TotalSeconds:F1} s; first sync of {count} notes into an empty folder: {syncTime.TotalSeconds:F1} s");

        // Assert: progress was shown both ways, and every note arrived with its content.
        Assert.True(push.Exit == 0, push.Stderr);
        Assert.Contains("uploading 5,000/5,000 notes", push.Stderr, StringComparison.Ordinal);
        Assert.Contains("scanning 5,000/5,000 files", push.Stderr, StringComparison.Ordinal);
        Assert.Contains("in sync: 5,000 notes", sync.Stdout, StringComparison.Ordinal);
        Assert.Contains("downloading: 5,000 notes written", sync.Stderr, StringComparison.Ordinal);
        Assert.Equal(CliKit.Files(a.Path), CliKit.Files(b.Path));
    }
}
