using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// A folder that synced with a token's space, run without a token against the same server after it
/// turned auth off: refused with the space named (exit 8), until <c>--join-space</c> says it is meant
/// (docs/client.md, "Another server or another space").
/// </summary>
public sealed class CliForgottenTokenTests
{
    [Fact]
    public async Task AFolderOfATokensSpaceRunWithoutItIsRefusedNamingTheSpaceUntilTold()
    {
        // Arrange: a folder synced with alice's space; the server restarted on the same data and port with
        // auth off; its space of no token holds another version of one of the folder's notes.
        using var data = new TempDirectory();
        using var folder = new TempDirectory();
        var token = TestTokens.Mint("alice");
        CliKit.WriteNote(folder.Path, "plans.md", "alice's plans");
        CliKit.WriteNote(folder.Path, "todo.md", "alice's list");
        int port;
        await using (var authOn = await InProcessServer.StartAsync(TestTokens.Settings(), dataDir: data.Path))
        {
            port = authOn.Port;
            var first = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, authOn, "laptop", "--token", token));
            Assert.True(first.Exit == 0, first.Stderr);
            await authOn.StopAsync();
        }

        await using var server = await InProcessServer.StartAsync(dataDir: data.Path, port: port);
        await using (var other = HttpDevice.Create(server, "desk"))
        {
            await other.PutAsync("note:plans.md", "the open space's plans");
        }

        // Act 1: the token forgotten.
        var forgotten = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));

        // Assert 1: exit 8, the space and the ways out named; nothing sent, nothing in the folder changed.
        Assert.Equal(8, forgotten.Exit);
        Assert.Contains("space 'alice'", forgotten.Stderr, StringComparison.Ordinal);
        Assert.Contains("--token", forgotten.Stderr, StringComparison.Ordinal);
        Assert.Contains("--join-space", forgotten.Stderr, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, string> { ["note:plans.md"] = "the open space's plans" }, await ServerNotes.ReadAsync(server));
        Assert.Equal(["plans.md", "todo.md"], CliKit.Files(folder.Path).Keys);

        // Act 2: joining the open space on purpose.
        var joined = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop", "--join-space"));

        // Assert 2: said, and the folder's notes went up (the note both hold, as a conflict as usual).
        Assert.True(joined.Exit == 0, joined.Stderr);
        Assert.Contains("another space", joined.Stderr, StringComparison.Ordinal);
        await ServerNotes.WaitForAsync(server, new Dictionary<string, string>
        {
            ["note:plans.md"] = "the open space's plans",
            ["note:todo.md"] = "alice's list",
        });
    }
}
