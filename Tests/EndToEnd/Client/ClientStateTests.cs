using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Client;

/// <summary>The connection state a client reports, and many threads writing at once.</summary>
public sealed class ClientStateTests
{
    [Fact]
    public async Task StateGoesThroughConnectingSyncingOnlineAndOfflineWhenTheServerDies()
    {
        // Arrange
        await using var server = await ServerProcess.StartAsync();
        using var dir = new TempDirectory();
        var states = new List<ConnectionState>();
        await using var client = ClientKit.Create(server, "laptop", dir.Path);
        client.StatusChanged += (_, s) =>
        {
            lock (states)
            {
                if (states.Count == 0 || states[^1] != s.State)
                {
                    states.Add(s.State);
                }
            }
        };

        // Act
        client.Start();
        await client.SyncBoundedAsync();
        server.Kill();
        await ClientKit.WaitUntilAsync(() => client.Status.State == ConnectionState.Offline, "the client sees the server go");
        await client.PutAsync("while-down", "queued");
        await ClientKit.WaitUntilAsync(() => client.Status.OutboxDepth == 1, "the outbox depth counts the queued write");
        await server.RestartAsync();
        await client.SyncBoundedAsync();

        // Assert: the order of states (repeats collapsed), and the outbox drained.
        List<ConnectionState> seen;
        lock (states)
        {
            seen = [.. states];
        }

        AssertSubsequence([ConnectionState.Connecting, ConnectionState.Syncing, ConnectionState.Online, ConnectionState.Offline, ConnectionState.Connecting, ConnectionState.Syncing, ConnectionState.Online], seen);
        Assert.Equal(0, client.Status.OutboxDepth);
        Assert.Null(client.Status.LastError);
        Assert.Equal(SyncTransport.WebSocket, client.Status.Transport);
    }

    [Fact]
    public async Task WritesFromManyThreadsAllArriveInTheirPerThreadOrder()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        await using var a = ClientKit.Start(server, "dev-a", dirA.Path);
        await using var b = ClientKit.Start(server, "dev-b", dirB.Path);

        // Act: four threads write their own notes and each overwrites its own counter, while the loop syncs.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await a.PutAsync($"t{t}/{i}", $"{t}:{i}");
                await a.PutAsync($"counter/{t}", $"{i}");
            }
        })));
        await a.SyncBoundedAsync();

        // Assert: every note once on the other device, and each counter at its thread's last value.
        await ClientKit.WaitUntilAsync(() => b.List().Count == 204, "204 notes on b");
        for (var t = 0; t < 4; t++)
        {
            Assert.Equal("49", b.Get($"counter/{t}"));
            Assert.Equal($"{t}:49", b.Get($"t{t}/49"));
        }

        Assert.Equal(0, a.Status.OutboxDepth);
        Assert.Empty(b.GetConflicts());
    }

    private static void AssertSubsequence(IReadOnlyList<ConnectionState> expected, IReadOnlyList<ConnectionState> actual)
    {
        var at = 0;
        foreach (var state in actual)
        {
            if (at < expected.Count && state == expected[at])
            {
                at++;
            }
        }

        Assert.True(at == expected.Count, $"expected the states {string.Join(" → ", expected)} in this order within {string.Join(" → ", actual)}");
    }
}
