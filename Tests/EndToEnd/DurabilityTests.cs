using System.Collections.Concurrent;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>Every acknowledged edit survives <c>kill -9</c> of the server.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task EveryAcknowledgedChangeSurvivesKillDashNineMidLoad()
    {
        // Arrange: four writers on two transports push unique values as fast as they are acked.
        await using var server = await ServerProcess.StartAsync();
        var acked = new ConcurrentDictionary<string, string>();
        using var stopWriting = new CancellationTokenSource();
        var writers = new List<Task>();
        for (var w = 0; w < 4; w++)
        {
            var id = $"writer-{w}";
            var useHub = w % 2 == 1;
            writers.Add(Task.Run(async () =>
            {
                TestDevice device = useHub
                    ? await HubDevice.ConnectAsync(server, id, messagePack: true)
                    : await WsDevice.ConnectAsync(server, id);
                try
                {
                    for (var i = 0; i < 5000 && !stopWriting.IsCancellationRequested; i++)
                    {
                        var key = $"note:{id}/{i % 50}";
                        var value = $"{id}#{i}";
                        await device.PutAsync(key, value);
                        acked[key] = value; // acked: this value, or a later one of this writer, must survive
                    }
                }
                catch (Exception) when (stopWriting.IsCancellationRequested)
                {
                    // The server died under the push: it was never acknowledged.
                }
                finally
                {
                    await device.DisposeAsync();
                }
            }));
        }

        // Act: let load build, then kill the server without warning and start it again.
        await WaitUntilAsync(() => acked.Count >= 150, TimeSpan.FromSeconds(30));
        var snapshot = new Dictionary<string, string>(acked);
        stopWriting.Cancel();
        server.Kill();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));
        await server.RestartAsync();

        // Assert: each key acknowledged before the kill holds that value or a later one of the same writer.
        await using var reader = HttpDevice.Create(server, "reader");
        await reader.PullAsync();
        var state = reader.Snapshot();
        foreach (var (key, value) in snapshot)
        {
            Assert.True(state.TryGetValue(key, out var now), $"{key} was acknowledged but is gone");
            Assert.True(Sequence(now) >= Sequence(value), $"{key}: acknowledged {value}, found {now}");
        }
    }

    [Fact]
    public async Task StateAndCursorSurviveARestart()
    {
        await using var server = await ServerProcess.StartAsync();
        await using (var device = HttpDevice.Create(server, "d"))
        {
            await device.PutAsync("note:kept", "value", timestamp: 99);
        }

        await server.RestartAsync();

        await using var after = HttpDevice.Create(server, "after");
        var ack = await after.PullAsync();
        Assert.Equal("value", Assert.Single(ack.Changes).Value);
        Assert.True(ack.AckTimestamp >= 99);
        var next = await after.PushAsync(after.NewPush(new Change { Key = "note:new", Value = "v", Timestamp = 1 }));
        Assert.True(next.AckTimestamp > ack.AckTimestamp, "the cursor went back after a restart");
    }

    private static int Sequence(string value) => int.Parse(value[(value.IndexOf('#', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the load did not build up in time");
            await Task.Delay(20);
        }
    }
}
