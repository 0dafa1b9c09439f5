using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// A full disk, for real: the CLI runs in its own mount namespace (<c>unshare -m</c>, or <c>-rm</c> as a
/// normal user) where its folder is a tiny tmpfs; the mount disappears with the process. It must stop
/// with one line saying the disk is full and exit 4, whether the local store or a note file fills it.
/// </summary>
public sealed class CliDiskFullTests
{
    [Theory]
    [InlineData("512k", "the local store")]   // the replica (800 KB of notes) does not fit
    [InlineData("1200k", "cannot write")]     // the replica fits; the files do not
    public async Task PullIntoAFullDiskExitsWithFourAndSaysSo(string size, string expected)
    {
        // Arrange: 40 notes of 20 KB on the server.
        await using var server = await ServerProcess.StartAsync();
        await using (var writer = HttpDevice.Create(server, "writer"))
        {
            await writer.PutManyAsync([.. Enumerable.Range(0, 40).Select(i => ($"note:big/{i}.md", (string?)new string('x', 20_000)))]);
        }

        using var mountPoint = new TempDirectory();
        var asUser = Environment.UserName != "root";
        string[] wrapper = ["unshare", asUser ? "-rm" : "-m", "sh", "-c", $"mount -t tmpfs -o size={size} tmpfs \"$0\" && exec \"$@\"", mountPoint.Path];

        // Act
        var (exit, _, stderr) = await CliProcess.RunAsync(CliKit.OneShot("pull", Path.Combine(mountPoint.Path, "notes"), server, "laptop"), wrapper: wrapper);

        // Assert: exit 4, one line naming the problem; the server still has everything.
        Assert.True(exit == 4, $"exit {exit}: {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("notesync: ", StringComparison.Ordinal));
        Assert.Contains("disk full", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(40, observer.Snapshot().Count);
    }
}
