using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// <c>resolve --merge</c> as the real CLI against a real server: the server's merge of two edits of one version
/// written into the note file with its markers, nothing sent; and its bad inputs refused with exit 1.
/// </summary>
public sealed class CliMergeTests
{
    private const string Trip = "# Trip\nDay 1: Lyon\nDay 2: Annecy\nDay 3: Geneva\nPack: boots\n";

    [Fact]
    public async Task ResolveMergeWritesTheMarkedMergeIntoTheFileAndSendsNothing()
    {
        // Arrange: the folder pushes v1; the tablet edits it without seeing the phone's edit of it.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        CliKit.WriteNote(folder.Path, "trip.md", Trip);
        CliKit.WriteNote(folder.Path, "other.md", "no conflict");
        var pushed = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        Assert.True(pushed.Exit == 0, pushed.Stderr);
        await using var phone = HttpDevice.Create(server, "phone");
        await using var tablet = HttpDevice.Create(server, "tablet");
        await phone.PullAsync();
        await tablet.PullAsync();
        var onTrain = tablet.EditOf("note:trip.md", Trip.Replace("Day 2: Annecy", "Day 2: Chamonix", StringComparison.Ordinal).Replace("Pack: boots", "Pack: skis", StringComparison.Ordinal));
        await phone.EditAsync("note:trip.md", Trip.Replace("Day 2: Annecy", "Day 2: rest", StringComparison.Ordinal), timestamp: onTrain.Timestamp + 100);
        await tablet.PushAsync(tablet.NewPush(onTrain));
        var note = Path.Combine(folder.Path, "trip.md");
        var historyBefore = (await CliProcess.RunAsync(["history", note])).Stdout;

        // Act
        var merged = await CliProcess.RunAsync(["resolve", note, "--merge"]);

        // Assert: the file holds the markers around the line both changed and the tablet's other change; the
        // server holds no new version.
        Assert.True(merged.Exit == 0, merged.Stderr);
        Assert.StartsWith("wrote the merge of trip.md into ", merged.Stdout, StringComparison.Ordinal);
        Assert.Contains("with 1 conflict region to finish", merged.Stdout, StringComparison.Ordinal);
        Assert.Equal("# Trip\nDay 1: Lyon\n<<<<<<< phone\nDay 2: rest\n=======\nDay 2: Chamonix\n>>>>>>> tablet\nDay 3: Geneva\nPack: skis\n", CliKit.ReadNote(folder.Path, "trip.md"));
        Assert.Equal(historyBefore, (await CliProcess.RunAsync(["history", note])).Stdout);

        // And the bad inputs: both options, neither, a note in no conflict.
        var both = await CliProcess.RunAsync(["resolve", note, "--merge", "--keep", "mine"]);
        var neither = await CliProcess.RunAsync(["resolve", note]);
        var noConflict = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "other.md"), "--merge"]);
        Assert.Equal((1, "notesync: --merge and --keep cannot be used together: --merge writes a merge to finish, --keep resolves"), (both.Exit, both.Stderr.Trim()));
        Assert.Equal((1, "notesync: give --keep mine|theirs|<file> or --merge"), (neither.Exit, neither.Stderr.Trim()));
        Assert.Equal(1, noConflict.Exit);
        Assert.Contains("other.md has no merge to suggest: it is not in conflict", noConflict.Stderr, StringComparison.Ordinal);
        Assert.Equal("no conflict", CliKit.ReadNote(folder.Path, "other.md"));
    }

    [Fact]
    public async Task ResolveMergeBesideARunningSyncIsRefusedAndTheFileLeftAlone()
    {
        // Arrange: a folder whose sync runs.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        CliKit.WriteNote(folder.Path, "trip.md", Trip);
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");

        // Act
        var refused = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "trip.md"), "--merge"]);

        // Assert: exit 5 (the folder is locked) with the reason; the note untouched.
        Assert.Equal(5, refused.Exit);
        Assert.Contains("a sync is running on", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(Trip, CliKit.ReadNote(folder.Path, "trip.md"));
    }
}
