using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>A synced folder pointed at another space, or another server, and what waits in a stopped folder.</summary>
public sealed class CliOtherSpaceTests
{
    [Fact]
    public async Task FolderSyncedWithAuthOffThenGivenATokenJoinsThatSpace()
    {
        // Arrange: six notes synced with auth off; the server restarted on its data with auth on; alice's
        // space already holds a note of its own and another version of one of the folder's.
        using var data = new TempDirectory();
        using var folder = new TempDirectory();
        int port;
        await using (var open = await InProcessServer.StartAsync(dataDir: data.Path))
        {
            port = open.Port;
            for (var i = 1; i <= 5; i++)
            {
                CliKit.WriteNote(folder.Path, $"n{i}.md", $"note {i}");
            }

            CliKit.WriteNote(folder.Path, "shared.md", "the folder's version");
            var first = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, open, "laptop"));
            Assert.True(first.Exit == 0, first.Stderr);
            await open.StopAsync();
        }

        await using var server = await InProcessServer.StartAsync(TestTokens.Settings(), dataDir: data.Path, port: port);
        var token = TestTokens.Mint("alice");
        await using (var phone = HttpDevice.Create(server, "alice-phone", token))
        {
            await phone.PutAsync("note:shared.md", "alice's version");
            await phone.PutAsync("note:alice-only.md", "from alice's phone");
        }

        // Act 1: an edit while stopped, then status.
        CliKit.WriteNote(folder.Path, "n1.md", "note 1, edited while stopped");
        var stopped = await CliProcess.RunAsync(["status", folder.Path]);

        // Assert 1: status counts the edit that waits in the folder.
        Assert.True(stopped.Exit == 0, stopped.Stderr);
        Assert.Contains("outbox:     1\n", stopped.Stdout, StringComparison.Ordinal);

        // Act 2: sync with alice's token.
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop", "--token", token);

        // Assert 2: the CLI said the folder meets another space, and the two were brought together: every
        // note on both sides; of the note both hold, the space's shows and the folder's is kept beside it.
        await cli.WaitForStderrAsync("another space");
        var expected = new Dictionary<string, string>
        {
            ["note:n1.md"] = "note 1, edited while stopped",
            ["note:n2.md"] = "note 2",
            ["note:n3.md"] = "note 3",
            ["note:n4.md"] = "note 4",
            ["note:n5.md"] = "note 5",
            ["note:shared.md"] = "alice's version",
            ["note:alice-only.md"] = "from alice's phone",
        };
        await ServerNotes.WaitForAsync(server, expected, token: token);
        await CliKit.WaitForFileAsync(folder.Path, "alice-only.md", "from alice's phone");
        Assert.Equal("the folder's version", CliKit.ReadNote(folder.Path, "shared.conflict-laptop.md"));
        Assert.Equal("alice's version", CliKit.ReadNote(folder.Path, "shared.md"));
        // The running sync rewrites its status file after the copy lands; status reads that file.
        await ClientKit.WaitUntilAsync(() => File.ReadAllText(Path.Combine(folder.Path, ".notesync", "status.json")).Contains("shared.md", StringComparison.Ordinal), "the status to count the conflict");
        var status = await CliProcess.RunAsync(["status", folder.Path]);
        Assert.DoesNotContain("last_ack:   0\n", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("conflicts:  1", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FolderPointedAtAnotherServerJoinsIt()
    {
        // Arrange: a folder synced with one server; another server whose space holds notes of its own.
        await using var first = await InProcessServer.StartAsync();
        await using var second = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        CliKit.WriteNote(folder.Path, "mine.md", "from the folder");
        CliKit.WriteNote(folder.Path, "shared.md", "the folder's version");
        var push = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, first, "laptop"));
        Assert.True(push.Exit == 0, push.Stderr);
        await using (var desktop = HttpDevice.Create(second, "desktop"))
        {
            await desktop.PutAsync("note:shared.md", "the desktop's version");
            await desktop.PutAsync("note:theirs.md", "from the desktop");
        }

        // Act
        await using var cli = await CliKit.StartSyncAsync(folder.Path, second, "laptop");

        // Assert: said, and both sides hold everything; of the note both hold, the server's shows and the folder's is kept beside it.
        await cli.WaitForStderrAsync("another server");
        await ServerNotes.WaitForAsync(second, new Dictionary<string, string>
        {
            ["note:mine.md"] = "from the folder",
            ["note:shared.md"] = "the desktop's version",
            ["note:theirs.md"] = "from the desktop",
        });
        await CliKit.WaitForFileAsync(folder.Path, "theirs.md", "from the desktop");
        Assert.Equal("the desktop's version", CliKit.ReadNote(folder.Path, "shared.md"));
        Assert.Equal("the folder's version", CliKit.ReadNote(folder.Path, "shared.conflict-laptop.md"));
    }

    [Fact]
    public async Task FolderWhoseServerWasReplacedByANewOneAtTheSameAddressPutsItsNotesBack()
    {
        // Arrange: a folder synced with a server that is then replaced by a new, empty one at the same address.
        using var folder = new TempDirectory();
        for (var i = 1; i <= 6; i++)
        {
            CliKit.WriteNote(folder.Path, $"n{i}.md", $"note {i}");
        }

        int port;
        await using (var old = await InProcessServer.StartAsync())
        {
            port = old.Port;
            var push = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, old, "laptop"));
            Assert.True(push.Exit == 0, push.Stderr);
            await old.StopAsync();
        }

        await using var server = await InProcessServer.StartAsync(port: port);

        // Act
        var again = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));

        // Assert: the new server holds every note, and the CLI did not pass over it in silence.
        Assert.True(again.Exit == 0, again.Stderr);
        Assert.Contains("history", again.Stderr, StringComparison.Ordinal);
        await ServerNotes.WaitForAsync(server, Enumerable.Range(1, 6).ToDictionary(i => $"note:n{i}.md", i => $"note {i}"));
    }
}
