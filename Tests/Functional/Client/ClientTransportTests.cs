using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// Transport choice and refusals. The refused WebSocket is the simplest honest one: the client's
/// <see cref="NoteSyncClientOptions.HubPath"/> points at a path the real server does not serve, so the
/// upgrade gets a real 404 from Kestrel while <c>POST /sync</c> works.
/// </summary>
public sealed class ClientTransportTests
{
    [Fact]
    public async Task RefusedWebSocketFallsBackToPollingAndSaysSo()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        var log = new ListLogger();
        var statuses = new List<ConnectionStatus>();
        await using var refused = ClientKit.Create(server, "refused", dirA.Path, webSocket: true, o =>
        {
            o.HubPath = "no-such-hub";
            o.Logger = log;
        });
        refused.StatusChanged += (_, s) =>
        {
            lock (statuses)
            {
                statuses.Add(s);
            }
        };
        await using var other = ClientKit.Start(server, "other", dirB.Path);

        // Act
        refused.Start();
        await refused.PutAsync("via-polling", "still arrives");
        await refused.SyncBoundedAsync();
        await other.PutAsync("to-the-poller", "arrives by polling");
        await other.SyncBoundedAsync();

        // Assert: it syncs both ways by polling, and its state and log say why.
        await ClientKit.WaitUntilAsync(() => other.Get("via-polling") == "still arrives", "the other client has the poller's note");
        await ClientKit.WaitUntilAsync(() => refused.Get("to-the-poller") == "arrives by polling", "the poller has the other's note");
        Assert.Equal(SyncTransport.Polling, refused.Status.Transport);
        Assert.True(refused.Status.FellBackToPolling);
        Assert.Contains(log.Lines, l => l.EventName == "FallingBackToPolling" && l.Message.Contains("404", StringComparison.Ordinal));
        lock (statuses)
        {
            Assert.Contains(statuses, s => s.FellBackToPolling && s.LastError is { } e && e.Contains("WebSocket unavailable", StringComparison.Ordinal));
        }

        Assert.Equal(SyncTransport.WebSocket, other.Status.Transport);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ValidTokenSyncsAndRefusedTokenIsReportedWithoutAHotLoop(bool webSocket)
    {
        // Arrange: auth on; one client with a good token, one with a token of an unknown key.
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        using var goodDir = new TempDirectory();
        using var badDir = new TempDirectory();
        var badTokenRequests = 0;
        var log = new ListLogger();
        await using var good = ClientKit.Start(server, "good", goodDir.Path, webSocket, o => o.Token = TestTokens.Mint("alice", "good"));
        await using var bad = ClientKit.Start(server, "bad", badDir.Path, webSocket, o =>
        {
            o.Logger = log;
            o.TokenProvider = _ =>
            {
                Interlocked.Increment(ref badTokenRequests);
                return ValueTask.FromResult<string?>(TestTokens.Mint("alice", "bad", key: TestTokens.WrongKey));
            };
        });

        // Act
        await good.PutAsync("ok", "synced with a valid token");
        await good.SyncBoundedAsync();
        await bad.PutAsync("nope", "never leaves");
        await ClientKit.WaitUntilAsync(() => bad.Status.State == ConnectionState.Unauthorized, "the refused client reports it");
        var refusal = await Assert.ThrowsAsync<TokenRefusedException>(() => bad.SyncBoundedAsync());

        // Assert: a clear refusal, the write kept, and no retry storm. The client's next try is 30 s away;
        // a storm would ask for a token many times a second, so 2 s of quiet bounds the "never".
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Contains("401", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionState.Unauthorized, bad.Status.State);
        Assert.Contains("refused the token", bad.Status.LastError, StringComparison.Ordinal);
        Assert.Equal(1, bad.Status.OutboxDepth);
        Assert.InRange(Volatile.Read(ref badTokenRequests), 1, 2);
        Assert.Contains(log.Lines, l => l.EventName == "TokenRefused");
        Assert.False(bad.Status.FellBackToPolling);
        Assert.Equal(0, good.Status.OutboxDepth);
        Assert.Equal("synced with a valid token", good.Get("ok"));
        await using var observer = HttpDevice.Create(server, "observer", TestTokens.Mint("alice", "observer"));
        await observer.PullAsync();
        Assert.Equal("synced with a valid token", observer.ValueOf("note:ok"));
        Assert.Null(observer.ValueOf("note:nope"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AClientGivenNoTokenIsToldToGiveOneNotThatItsTokenWasRefused(bool webSocket)
    {
        // Arrange: auth on, and a client with neither a token nor a provider.
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        using var dir = new TempDirectory();
        await using var client = ClientKit.Start(server, "tokenless", dir.Path, webSocket);

        // Act
        await client.PutAsync("nope", "never leaves");
        await ClientKit.WaitUntilAsync(() => client.Status.State == ConnectionState.Unauthorized, "the client reports the refusal");
        var refusal = await Assert.ThrowsAsync<TokenRefusedException>(() => client.SyncBoundedAsync());

        // Assert: the words fit what was sent, in the exception and in the status.
        Assert.False(refusal.TokenGiven);
        Assert.Contains("given none", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("refused the token", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("given none", client.Status.LastError, StringComparison.Ordinal);
        Assert.Equal(1, client.Status.OutboxDepth);
    }
}
