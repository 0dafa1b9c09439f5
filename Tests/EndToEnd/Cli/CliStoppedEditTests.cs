using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>An edit made while the CLI was stopped, crossing an edit made elsewhere meanwhile.</summary>
public sealed class CliStoppedEditTests
{
    [Theory]
    [InlineData("push")]
    [InlineData("sync")]
    public async Task EditMadeWhileStoppedKeepsTheRemoteEditItHadNotSeen(string command)
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

        // B edits x.md and y.md and pushes; A, stopped, edits x.md and another note (so its clock passes
        // B's), and deletes y.md.
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
            Assert.Contains("1 in conflict", sync.Stdout, StringComparison.Ordinal);
            stderr = sync.Stderr;
        }

        // Assert: B's text, which reached the server first, shows; A's edit, made without seeing it, is kept
        // beside it, said and listed; the delete did not erase B's y.md; the other edit went up as usual.
        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal) { ["a.md"] = "another note", ["x.conflict-dev-a.md"] = "A's text", ["x.md"] = "B's text", ["y.md"] = "B's y" },
            CliKit.Files(a.Path));
        Assert.Contains("y.md was deleted here and changed on dev-b since the last sync", stderr, StringComparison.Ordinal);
        Assert.Contains("conflict: x.md: this device's edit crossed a newer one from dev-b", stderr, StringComparison.Ordinal);
        Assert.Equal("x.md  x.conflict-dev-a.md", (await CliProcess.RunAsync(["conflicts", a.Path])).Stdout.Trim());
        await ServerNotes.WaitForAsync(server, new Dictionary<string, string> { ["note:x.md"] = "B's text", ["note:y.md"] = "B's y", ["note:a.md"] = "another note" });
    }
}
