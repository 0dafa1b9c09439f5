using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// An edit made while the CLI was stopped, crossing an edit made elsewhere meanwhile: it goes up as an edit of
/// the version the file last held (docs/protocol.md §2.2), so every device keeps both, or the server merges them.
/// </summary>
public sealed class CliStoppedEditTests
{
    [Theory]
    [InlineData("push")]
    [InlineData("sync")]
    public async Task EditMadeWhileStoppedIsKeptBesideTheRemoteEditItHadNotSeenOnEveryDevice(string command)
    {
        // Arrange: two folders in sync on x.md and y.md.
        await using var server = await InProcessServer.StartAsync();
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        CliKit.WriteNote(a.Path, "x.md", "v1");
        CliKit.WriteNote(a.Path, "y.md", "y1");
        Assert.Equal(0, (await CliProcess.RunAsync(CliKit.OneShot("push", a.Path, server, "dev-a"))).Exit);
        Assert.Equal(0, (await CliProcess.RunAsync(CliKit.OneShot("pull", b.Path, server, "dev-b"))).Exit);
        Assert.Equal("v1", CliKit.ReadNote(b.Path, "x.md"));

        // B edits x.md and y.md and pushes; A, stopped, edits x.md and another note, and deletes y.md.
        CliKit.WriteNote(b.Path, "x.md", "B's text");
        CliKit.WriteNote(b.Path, "y.md", "B's y");
        Assert.Equal(0, (await CliProcess.RunAsync(CliKit.OneShot("push", b.Path, server, "dev-b"))).Exit);
        CliKit.WriteNote(a.Path, "a.md", "another note");
        CliKit.WriteNote(a.Path, "x.md", "A's text");
        File.Delete(Path.Combine(a.Path, "y.md"));

        // Act: A's next run.
        string stderr;
        if (command == "push")
        {
            var push = await CliProcess.RunAsync(CliKit.OneShot("push", a.Path, server, "dev-a"));
            Assert.True(push.Exit == 0, push.Stderr);
            Assert.Contains("1 notes in conflict", push.Stdout, StringComparison.Ordinal);
            stderr = push.Stderr;
        }
        else
        {
            await using var sync = await CliKit.StartSyncAsync(a.Path, server, "dev-a");
            await CliKit.WaitForFileAsync(a.Path, "x.conflict-dev-b.md", "B's text");
            stderr = sync.Stderr;
        }

        // Assert: neither edit saw the other, so both are kept: A's, the newer clock, shows, B's beside it; the delete
        // did not erase B's y.md; the other edit went up as usual.
        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal) { ["a.md"] = "another note", ["x.conflict-dev-b.md"] = "B's text", ["x.md"] = "A's text", ["y.md"] = "B's y" },
            CliKit.Files(a.Path));
        Assert.Contains("y.md was deleted here and changed on dev-b since the last sync", stderr, StringComparison.Ordinal);
        Assert.Contains("x.md was edited here and on dev-b since the last sync; both edits are kept", stderr, StringComparison.Ordinal);

        // The conflict is told once, with its copy and how to resolve it (it was told twice, in two wordings).
        var told = Assert.Single(stderr.Split('\n'), line => line.Contains("x.md was", StringComparison.Ordinal));
        Assert.Contains("x.conflict-dev-b.md", told, StringComparison.Ordinal);
        Assert.Contains("notesync resolve x.md", told, StringComparison.Ordinal);
        Assert.Equal("x.md  x.conflict-dev-b.md", (await CliProcess.RunAsync(["conflicts", a.Path])).Stdout.Trim());
        await ServerNotes.WaitForAsync(server, new Dictionary<string, string> { ["note:x.md"] = "A's text", ["note:y.md"] = "B's y", ["note:a.md"] = "another note" });

        // B's next pull shows the same conflict: its own edit was not silently replaced.
        Assert.Equal(0, (await CliProcess.RunAsync(CliKit.OneShot("pull", b.Path, server, "dev-b"))).Exit);
        Assert.Equal("A's text", CliKit.ReadNote(b.Path, "x.md"));
        Assert.Equal("B's text", CliKit.ReadNote(b.Path, "x.conflict-dev-b.md"));
    }

    [Fact]
    public async Task EditsOfDifferentLinesMadeWhileStoppedAndElsewhereAreMergedOnEveryDevice()
    {
        // Arrange: the laptop's folder and a phone hold the trip plan; the laptop's sync is stopped.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var phoneDir = new TempDirectory();
        CliKit.WriteNote(folder.Path, "trip.md", "day 1: Lyon\nday 2: Turin\nday 3: Milan\n");
        Assert.Equal(0, (await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"))).Exit);
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path);
        await ClientKit.WaitUntilAsync(() => phone.Get("trip.md") is not null, "the phone to get the plan");

        // Act: on the train the laptop edits day 1; the phone, online, edits day 3 with a clock far ahead.
        CliKit.WriteNote(folder.Path, "trip.md", "day 1: Lyon, by train\nday 2: Turin\nday 3: Milan\n");
        await phone.WriteManyAsync([.. Enumerable.Range(0, 30).Select(i => new KeyValuePair<string, string?>($"other/{i}.md", "x"))]);
        await phone.PutAsync("trip.md", "day 1: Lyon\nday 2: Turin\nday 3: Milan, Duomo\n");
        await phone.SyncBoundedAsync();
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");

        // Assert: both edits in the note on both devices, no conflict, and both originals in its history.
        const string merged = "day 1: Lyon, by train\nday 2: Turin\nday 3: Milan, Duomo\n";
        await CliKit.WaitForFileAsync(folder.Path, "trip.md", merged);
        await ClientKit.WaitUntilAsync(() => phone.Get("trip.md") == merged, "the phone to get the merged plan");
        Assert.Empty(phone.GetConflicts());
        await CliKit.WaitForFileAsync(folder.Path, "trip.conflict-phone.md", null);
        await ClientKit.WaitUntilAsync(async () => (await CliProcess.RunAsync(["conflicts", folder.Path])).Stdout == "", "the folder to list no conflict");
        var history = await CliProcess.RunAsync(["history", Path.Combine(folder.Path, "trip.md")]);
        Assert.True(history.Exit == 0, history.Stderr);
        Assert.Matches(@"  notesync:merge  \d+ bytes  current  \d+@notesync:merge", history.Stdout);
        Assert.Matches(@"  laptop  \d+ bytes  -  \d+@laptop\n(.*\n)*.*  phone  |  phone  \d+ bytes  -  \d+@phone\n(.*\n)*.*  laptop  ", history.Stdout);
    }
}
