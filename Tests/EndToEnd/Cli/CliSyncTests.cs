using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary><c>notesync sync</c> as a real process against a real server, with a library client on the other side.</summary>
public sealed class CliSyncTests
{
    [Fact]
    public async Task CliFolderAndLibraryClientConvergeBothWaysWithoutEchoes()
    {
        // Arrange: a folder with notes before the first sync, one in a sub-folder, and files that are not notes.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        CliKit.WriteNote(folder.Path, "inbox.md", "first");
        CliKit.WriteNote(folder.Path, "projects/plan.txt", "the plan");
        CliKit.WriteNote(folder.Path, "picture.png", "not a note");
        CliKit.WriteNote(folder.Path, ".hidden/secret.md", "not synced");
        await using var library = ClientKit.Start(server, "lib", libDir.Path);
        await using var observer = HttpDevice.Create(server, "observer");

        // Act: the CLI starts; then each side edits, creates and deletes.
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");
        await ClientKit.WaitUntilAsync(() => library.Get("projects/plan.txt") == "the plan" && library.Get("inbox.md") == "first", "the library has the folder's notes");
        await library.PutAsync("from-library.md", "written by the library");
        await library.PutAsync("projects/deep/nested.md", "nested");
        await CliKit.WaitForFileAsync(folder.Path, "from-library.md", "written by the library");
        await CliKit.WaitForFileAsync(folder.Path, "projects/deep/nested.md", "nested");
        CliKit.WriteNote(folder.Path, "inbox.md", "second");
        File.Delete(Path.Combine(folder.Path, "projects/plan.txt"));
        await ClientKit.WaitUntilAsync(() => library.Get("inbox.md") == "second" && library.Get("projects/plan.txt") is null, "the library has the edit and the delete");
        await library.DeleteAsync("from-library.md");
        await CliKit.WaitForFileAsync(folder.Path, "from-library.md", null);

        // Assert: both sides hold the same notes; what is not a note stayed local.
        Assert.Equal(["inbox.md", "projects/deep/nested.md"], library.List());
        Assert.Equal(new Dictionary<string, string> { ["inbox.md"] = "second", ["picture.png"] = "not a note", ["projects/deep/nested.md"] = "nested" }, CliKit.Files(folder.Path));

        // The library's writes written into the folder were not echoed back as the laptop's.
        await observer.PullAsync();
        Assert.Equal("lib", observer.StateOf("note:projects/deep/nested.md")!.Winner.DeviceId);
        Assert.Null(observer.StateOf("note:.hidden/secret.md"));
        Assert.Null(observer.StateOf("note:picture.png"));
        Assert.False(cli.HasExited, cli.Stderr);
    }

    [Fact]
    public async Task RenamesOfFilesAndFoldersAndDeletesReachTheOtherSide()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        CliKit.WriteNote(folder.Path, "old-name.md", "renamed content");
        CliKit.WriteNote(folder.Path, "trash.md", "to delete");
        CliKit.WriteNote(folder.Path, "box/a.md", "in a folder");
        await using var library = ClientKit.Start(server, "lib", libDir.Path);
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");
        await ClientKit.WaitUntilAsync(() => library.List().Count == 3, "the library has the three notes");

        // Act: rename a file, rename a folder, delete a file.
        File.Move(Path.Combine(folder.Path, "old-name.md"), Path.Combine(folder.Path, "new-name.md"));
        Directory.Move(Path.Combine(folder.Path, "box"), Path.Combine(folder.Path, "crate"));
        File.Delete(Path.Combine(folder.Path, "trash.md"));

        // Assert: a rename is a delete and a create, on the other side too.
        await ClientKit.WaitUntilAsync(() => library.List().SequenceEqual(["crate/a.md", "new-name.md"]), "the library to follow the renames and the delete");
        Assert.Equal("renamed content", library.Get("new-name.md"));
        Assert.Equal("in a folder", library.Get("crate/a.md"));
        Assert.Null(library.Get("old-name.md"));
        Assert.Null(library.Get("trash.md"));
        Assert.False(cli.HasExited, cli.Stderr);
    }

    [Fact]
    public async Task FileEditedWhileItsRemoteChangeArrivesKeepsTheLocalEdit()
    {
        // Arrange: a long debounce holds the local edit back while the remote change comes in.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        CliKit.WriteNote(folder.Path, "note.md", "v1");
        await using var library = ClientKit.Start(server, "lib", libDir.Path);
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop", "--debounce-ms", "3000");
        await ClientKit.WaitUntilAsync(() => library.Get("note.md") == "v1", "the library has v1");

        // Act: the file is saved; before its debounce ends, another device's edit of it arrives.
        CliKit.WriteNote(folder.Path, "note.md", "local edit");
        await library.PutAsync("note.md", "remote edit");
        await library.SyncBoundedAsync();

        // Assert: the unsent local edit is never overwritten; it goes up as an edit of v1, the version the file
        // held, so the other device's edit, which it did not see, stays beside it on both devices until resolved.
        await ClientKit.WaitUntilAsync(() => library.GetConflicts().Count == 1, "the conflict on the library");
        var conflict = Assert.Single(library.GetConflicts());
        Assert.Equal(("local edit", "laptop"), (conflict.Winner.Value, conflict.Winner.DeviceId));
        Assert.Equal("remote edit", Assert.Single(conflict.Siblings).Value);
        await CliKit.WaitForFileAsync(folder.Path, "note.conflict-lib.md", "remote edit");
        await cli.WaitForStderrAsync("note.md was edited here and on lib since the last sync; both edits are kept");
        Assert.Equal("local edit", CliKit.ReadNote(folder.Path, "note.md"));

        // Keeping theirs (through the running sync) ends it.
        var resolved = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "note.md"), "--keep", "theirs"]);
        Assert.True(resolved.Exit == 0, resolved.Stderr);
        await ClientKit.WaitUntilAsync(() => library.Get("note.md") == "remote edit" && library.GetConflicts().Count == 0, "the library to get the resolution");
        await CliKit.WaitForFileAsync(folder.Path, "note.md", "remote edit");
        Assert.Null(CliKit.ReadNote(folder.Path, "note.conflict-lib.md"));
    }

    [Fact]
    public async Task FilesThatCannotBeNotesAreSkippedWithAWarningAndTheRestSyncs()
    {
        // Arrange: a good note, a path whose key is over 1,024 bytes, a file that is not UTF-8, one over the size limit.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        CliKit.WriteNote(folder.Path, "good.md", "fine");
        var longPath = string.Join('/', Enumerable.Repeat(new string('x', 200), 6)) + "/long.md";
        CliKit.WriteNote(folder.Path, longPath, "key too long");
        await File.WriteAllBytesAsync(Path.Combine(folder.Path, "binary.md"), [0xff, 0xfe, 0x00, 0xc3]);
        CliKit.WriteNote(folder.Path, "big.md", new string('b', 2000));

        // Act
        var (exit, _, stderr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop", "--max-note-bytes", "1000"));

        // Assert: one warning each, the good note synced, the files untouched.
        Assert.True(exit == 0, stderr);
        Assert.Contains($"skipping {longPath}: its key", stderr, StringComparison.Ordinal);
        Assert.Contains("skipping binary.md: not UTF-8 text", stderr, StringComparison.Ordinal);
        Assert.Contains("skipping big.md: 2,000 bytes is over --max-note-bytes (1,000)", stderr, StringComparison.Ordinal);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(new Dictionary<string, string> { ["note:good.md"] = "fine" }, observer.Snapshot());
        Assert.Equal([0xff, 0xfe, 0x00, 0xc3], await File.ReadAllBytesAsync(Path.Combine(folder.Path, "binary.md")));

        // A remote note that cannot be written (a plain file stands where its folder would be) is
        // skipped with a warning; the others are written.
        await File.WriteAllTextAsync(Path.Combine(folder.Path, "blocked"), "a file, not a folder");
        await observer.PutManyAsync([("note:blocked/inside.md", "cannot land"), ("note:arrives.md", "lands")]);
        var pull = await CliProcess.RunAsync(CliKit.OneShot("pull", folder.Path, server, "laptop"));
        Assert.True(pull.Exit == 0, pull.Stderr);
        Assert.Contains("cannot write blocked/inside.md", pull.Stderr, StringComparison.Ordinal);
        Assert.Equal("lands", CliKit.ReadNote(folder.Path, "arrives.md"));
    }
}
