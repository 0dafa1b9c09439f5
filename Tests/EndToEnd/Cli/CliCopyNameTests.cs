using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>Files whose names look like conflict copies, which the CLI did not make, are notes like any other.</summary>
public sealed class CliCopyNameTests
{
    [Fact]
    public async Task FileNamedLikeAConflictCopyIsKeptWhenTheServerIsDownAndSyncsLikeANote()
    {
        // Arrange: a folder with a note and a file the user named like a conflict copy; the server is down.
        await using var server = await ServerProcess.StartAsync();
        using var folder = new TempDirectory();
        using var other = new TempDirectory();
        CliKit.WriteNote(folder.Path, "team.md", "the team");
        CliKit.WriteNote(folder.Path, "team.conflict-resolution.md", "how we settle disagreements");
        server.Kill();

        // Act 1: a push that cannot reach the server.
        var offline = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));

        // Assert 1: it fails as unreachable and leaves the file alone.
        Assert.True(offline.Exit == 2, offline.Stderr);
        Assert.Equal("how we settle disagreements", CliKit.ReadNote(folder.Path, "team.conflict-resolution.md"));

        // Act 2: the server is back; push, then pull into another folder.
        await server.StartAgainAsync();
        var push = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        var pull = await CliProcess.RunAsync(CliKit.OneShot("pull", other.Path, server, "desktop"));

        // Assert 2: the file went up as a note and came down as a file; both folders still hold it.
        Assert.True(push.Exit == 0, push.Stderr);
        Assert.True(pull.Exit == 0, pull.Stderr);
        await ServerNotes.WaitForAsync(server, new Dictionary<string, string>
        {
            ["note:team.md"] = "the team",
            ["note:team.conflict-resolution.md"] = "how we settle disagreements",
        });
        Assert.Equal("how we settle disagreements", CliKit.ReadNote(other.Path, "team.conflict-resolution.md"));
        Assert.Equal("how we settle disagreements", CliKit.ReadNote(folder.Path, "team.conflict-resolution.md"));
        Assert.Equal("", (await CliProcess.RunAsync(["conflicts", other.Path])).Stdout);
    }

    [Fact]
    public async Task LiveSyncSendsAndReceivesNotesNamedLikeConflictCopies()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        await using var library = ClientKit.Start(server, "lib", libDir.Path);
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");

        // Act: one such file made here while the sync runs, one such note made elsewhere.
        CliKit.WriteNote(folder.Path, "plans.conflict-of-interest.md", "declared");
        await library.PutAsync("notes/a.conflict-b.txt", "from the library");

        // Assert: each reaches the other side, and neither is deleted by a full scan or counted as a conflict.
        await ClientKit.WaitUntilAsync(() => library.Get("plans.conflict-of-interest.md") == "declared", "the library to get the file");
        await CliKit.WaitForFileAsync(folder.Path, "notes/a.conflict-b.txt", "from the library");
        Directory.CreateDirectory(Path.Combine(folder.Path, "rescan"));
        Directory.Delete(Path.Combine(folder.Path, "rescan"));
        CliKit.WriteNote(folder.Path, "last.md", "after the rescan");
        await ClientKit.WaitUntilAsync(() => library.Get("last.md") == "after the rescan", "the library to get the last note");
        Assert.Equal("declared", CliKit.ReadNote(folder.Path, "plans.conflict-of-interest.md"));
        Assert.Equal("from the library", CliKit.ReadNote(folder.Path, "notes/a.conflict-b.txt"));
        Assert.Equal("", (await CliProcess.RunAsync(["conflicts", folder.Path])).Stdout);
    }
}
