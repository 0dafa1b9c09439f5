using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// A server's <c>rate_limited</c> answer is a wait, not an outage: the client keeps its connection, sends
/// the same push again after the server's retry-after, and never reports itself offline.
/// </summary>
public sealed class ClientRateLimitTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RateLimitedPushesAreSentAgainAfterTheWaitWithoutGoingOffline(bool webSocket)
    {
        // Arrange: two pushes a second per device, and a client that needs six pushes.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__Limits__PushesPerSecond"] = "2",
            ["NoteSync__Limits__PushBurst"] = "1",
        });
        using var dir = new TempDirectory();
        var log = new ListLogger();
        await using var client = ClientKit.Create(server, "limited", dir.Path, webSocket, o =>
        {
            o.MaxChangesPerPush = 10;
            o.Logger = log;
        });
        var states = new List<ConnectionState>();
        client.StatusChanged += (_, s) =>
        {
            lock (states)
            {
                states.Add(s.State);
            }
        };
        await client.WriteManyAsync([.. Enumerable.Range(0, 60).Select(i => new KeyValuePair<string, string?>($"n/{i}.md", $"note {i}"))]);

        // Act
        client.Start();
        await client.SyncBoundedAsync();

        // Assert: everything arrived once, the limit was hit and waited out, and the client never went offline.
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(60, observer.Snapshot().Count);
        Assert.Equal(60, observer.Cursor);
        Assert.Contains(log.Lines, l => l.EventName == "RateLimited");
        lock (states)
        {
            // A client that was never started reports Offline; after that it must not again.
            Assert.DoesNotContain(ConnectionState.Offline, states.SkipWhile(s => s == ConnectionState.Offline));
        }

        Assert.Equal(webSocket ? SyncTransport.WebSocket : SyncTransport.Polling, client.Status.Transport);
    }
}
