using System.Text.Json;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// What the CLI says when the server answers but will not sync: auth on and no token given (told so, not
/// "refused the token"), a token it refuses, and a server that answers with errors (said to answer, with
/// no exception type names, and not called offline).
/// </summary>
public sealed class CliServerAnswerTests
{
    [Fact]
    public async Task NoTokenToAServerWithAuthOnIsToldHowToGiveOneAndAWrongTokenIsRefused()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        using var oneShot = new TempDirectory();
        using var live = new TempDirectory();
        using var wrong = new TempDirectory();

        // Act
        var push = await CliProcess.RunAsync(CliKit.OneShot("push", oneShot.Path, server, "laptop"));
        var sync = await CliProcess.RunAsync(CliKit.Sync(live.Path, server, "laptop"));
        var refused = await CliProcess.RunAsync(CliKit.OneShot("push", wrong.Path, server, "laptop", "--token", TestTokens.Mint("alice", key: new string('x', 40))));

        // Assert: exit 3 each time; without a token, the way to give one, not a refusal of one.
        foreach (var (exit, _, stderr) in new[] { push, sync })
        {
            Assert.True(exit == 3, $"exit {exit}: {stderr}");
            Assert.Contains("none was given: pass --token <jwt> or set NOTESYNC_TOKEN", stderr, StringComparison.Ordinal);
            Assert.False(stderr.Contains("refused the token", StringComparison.Ordinal), stderr);
        }

        Assert.True(refused.Exit == 3, refused.Stderr);
        Assert.Contains("the server refused the token (401)", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerThatAnswersWithErrorsIsSaidToAnswerNotToBeOffline()
    {
        // Arrange: a server that answers every POST /sync with 503, polled.
        await using var server = await FakeSyncServer.StartAsync();
        server.Refuse = _ => true;
        using var oneShot = new TempDirectory();
        using var live = new TempDirectory();
        CliKit.WriteNote(live.Path, "a.md", "kept");

        // Act: a push; a live sync, and its status while it retries.
        var push = await CliProcess.RunAsync(["push", oneShot.Path, "--server", server.BaseUri.ToString(), "--device", "laptop", "--poll"]);
        await using var cli = CliProcess.Start(CliKit.Sync(live.Path, server.BaseUri, "laptop", "--poll"));
        await cli.WaitForStderrAsync("the server answered with an error", CliKit.StartLimit);
        var state = "";
        await ClientKit.WaitUntilAsync(
            async () =>
            {
                var status = await CliProcess.RunAsync(["status", live.Path, "--json"]);
                using var doc = JsonDocument.Parse(status.Stdout);
                state = doc.RootElement.GetProperty("state").GetString()!;
                return state == "server_error";
            },
            "status to show the server's errors",
            CliKit.StartLimit);

        // Assert: the one-shot exits 2 saying the server answered; neither calls it offline or unreachable,
        // nor shows an exception's type name.
        Assert.True(push.Exit == 2, $"exit {push.Exit}: {push.Stderr}");
        Assert.Contains("answered with an error: the server answered 503", push.Stderr, StringComparison.Ordinal);
        foreach (var stderr in new[] { push.Stderr, cli.Stderr })
        {
            Assert.DoesNotContain("offline", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("unreachable", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        }

        Assert.False(cli.HasExited, cli.Stderr);
    }
}
