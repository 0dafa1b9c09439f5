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
        // Arrange: 40 notes of 20 KB on the server, pulled in one page (the sizes of the disks above
        // are those of a replica written in one go).
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Sync__PageBytes"] = "1048576" });
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

    [Fact]
    public async Task ARemoteNoteThatFoundTheDiskFullArrivesOnceSpaceIsFreed()
    {
        // Arrange: a live sync whose folder (and store) is on a 4 MB disk, in sync.
        await using var server = await InProcessServer.StartAsync();
        using var disk = await TinyDisk.MountAsync("4m");
        var folder = Path.Combine(disk.MountPoint, "notes");
        await using var cli = CliProcess.Start(CliKit.Sync(folder, server, "laptop"), wrapper: disk.Wrapper);
        await ClientKit.WaitUntilAsync(() => cli.Stdout.Contains("in sync:", StringComparison.Ordinal) || cli.HasExited, "the first sync to finish");
        Assert.False(cli.HasExited, cli.Stderr);
        await using var writer = HttpDevice.Create(server, "writer");

        // Act: the disk fills; another device writes a large note, then a small one (two live pushes:
        // the small one's save can succeed in the store's spare pages where the large one's cannot).
        FillUp(disk);
        var big = new string('b', 600_000);
        await writer.PutAsync("note:big.md", big);
        await cli.WaitForStderrAsync("cannot sync: the local store");
        await writer.PutAsync("note:small.md", "small");

        // Act: space is freed.
        disk.DeleteFiller();

        // Assert: both notes reach the folder, without a restart.
        await ClientKit.WaitUntilAsync(() => ReadHost(disk, "notes/big.md") == big && ReadHost(disk, "notes/small.md") == "small", "the notes to reach the folder once space was freed");
        Assert.False(cli.HasExited, cli.Stderr);
    }

    /// <summary>Takes every free byte of the disk with the filler file.</summary>
    private static void FillUp(TinyDisk disk)
    {
        using var filler = new FileStream(disk.HostPath("filler"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        var block = new byte[64 * 1024];
        for (var i = 0; i < 4096; i++)
        {
            try
            {
                filler.Write(block);
            }
            catch (IOException)
            {
                // Full for this size: a smaller block may still fit, until not even one byte does.
                if (block.Length == 1)
                {
                    return;
                }

                block = new byte[block.Length / 2];
            }
        }

        throw new InvalidOperationException("the disk did not fill");
    }

    private static string? ReadHost(TinyDisk disk, string relative)
    {
        try
        {
            return File.ReadAllText(disk.HostPath(relative));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
