using System.Collections.Concurrent;
using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Client;

/// <summary>
/// The limits a hub connection's first answer tells hold for that connection only (docs/protocol.md §4,
/// "The server's limits"): after a reconnect, the client sizes its pushes by the new connection's.
/// </summary>
public sealed class ClientFirstPushTests
{
    private const int MaxMessageBytes = 64 * 1024;

    [Fact]
    public async Task AfterARestartWithSmallerLimitsNoPushIsOverThem()
    {
        // Arrange: a client that synced with a server of default limits (16 MiB a message); the server stopped.
        using var data = new TempDirectory();
        using var store = new TempDirectory();
        await using var first = await InProcessServer.StartAsync(dataDir: data.Path);
        await using var client = ClientKit.Start(first, "laptop", store.Path);
        await client.PutAsync("hello.md", "hi");
        await client.SyncBoundedAsync();
        var pushedBytes = new ConcurrentQueue<int>();
        client.Hooks.PushSending = push => pushedBytes.Enqueue(push.Changes.Sum(c => c.Value?.Length ?? 0));
        await first.StopAsync();
        await ClientKit.WaitUntilAsync(() => client.Status.State != ConnectionState.Online, "the client to notice the server is gone");

        // Act: three notes of 40 KB (120 KB together), then the server back with messages of at most 64 KiB.
        var texts = Enumerable.Range(0, 3).Select(i => new string((char)('a' + i), 40_000)).ToArray();
        for (var i = 0; i < texts.Length; i++)
        {
            await client.PutAsync($"big{i}.md", texts[i]);
        }

        await using var second = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxMessageBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) }, dataDir: data.Path, port: first.Port);
        await client.SyncBoundedAsync();

        // Assert: every note is on the server, none refused, and no push carried more than the new limit
        // (the hub would have closed the connection on it).
        await ServerNotes.WaitForAsync(second, new Dictionary<string, string>
        {
            ["note:hello.md"] = "hi",
            ["note:big0.md"] = texts[0],
            ["note:big1.md"] = texts[1],
            ["note:big2.md"] = texts[2],
        });
        Assert.Empty(client.Refused);
        Assert.All(pushedBytes, bytes => Assert.InRange(bytes, 0, MaxMessageBytes));
    }
}
