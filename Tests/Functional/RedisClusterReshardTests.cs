using NoteSync.Server.Stores.Redis;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// A space's slot moved to another primary of a real Redis Cluster while its devices write, as an operator
/// resharding the cluster does. The apply script's fence cannot tell the new primary from a promoted
/// replica that may have lost writes, so the space's history is renamed: connections are cut and every
/// device resets (re-reads the space, re-uploads what the server lacks). That costs a reset, and loses
/// nothing: the .NET clients here, which reconnect, end with every note, as does a fresh device. A
/// cluster of its own, since the move changes which primary holds what.
/// </summary>
public sealed class RedisClusterReshardTests
{
    private const int Writes = 120;

    [Fact]
    public async Task NothingWrittenIsLostWhileTheSpacesSlotMovesToAnotherPrimary()
    {
        // Arrange: two nodes on the cluster (auth off: one space); a writing client on one, a reading
        // client on the other.
        await using var cluster = await RedisCluster.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["NoteSync__Store"] = "redis",
            ["NoteSync__Redis"] = cluster.ConnectionString,
        };
        await using var node1 = await InProcessServer.StartAsync(settings);
        await using var node2 = await InProcessServer.StartAsync(settings);
        using var writerDir = new TempDirectory();
        using var readerDir = new TempDirectory();
        await using var writer = ClientKit.Start(node1, "writer", writerDir.Path);
        await using var reader = ClientKit.Start(node2, "reader", readerDir.Path);
        await writer.PutAsync("first.md", "before the move");
        await ClientKit.WaitUntilAsync(() => reader.Get("first.md") == "before the move", "the reader to sync before the move");
        var spaceKey = RedisKeys.For("default")[0].ToString();
        var epochBefore = await EpochAsync(cluster);

        // Act: the writer writes note after note (the client sends them as it can); a third of the way in,
        // the space's slot starts moving, a key every 20 ms.
        Task<(int From, int To)>? move = null;
        for (var i = 0; i < Writes; i++)
        {
            if (i == Writes / 3)
            {
                move = cluster.MoveSlotOfAsync(spaceKey, TimeSpan.FromMilliseconds(20));
            }

            await writer.PutAsync($"n{i}.md", $"text {i}");
            await Task.Delay(10);
        }

        var (from, to) = await move!;
        await writer.PutAsync("after.md", "written after the move");

        // Assert: the slot is on another primary; the writer's outbox empties; the reader and a fresh device
        // on the other node hold every note.
        Assert.NotEqual(from, to);
        Assert.Equal(to, await cluster.PrimaryPortOfAsync(spaceKey));
        Assert.NotEqual(epochBefore, await EpochAsync(cluster));
        await ClientKit.WaitUntilAsync(() => writer.Status.OutboxDepth == 0, "the writer's outbox to empty");
        await ClientKit.WaitUntilAsync(() => reader.Get("after.md") == "written after the move", "the reader to get the note written after the move");
        await ClientKit.WaitUntilAsync(
            () => Enumerable.Range(0, Writes).All(i => reader.Get($"n{i}.md") == $"text {i}"),
            "the reader to hold every note");
        await using var fresh = HttpDevice.Create(node2, "fresh");
        await fresh.PullAsync();
        var held = fresh.Snapshot();
        Assert.All(Enumerable.Range(0, Writes), i => Assert.Equal($"text {i}", held.GetValueOrDefault($"note:n{i}.md")));
        Assert.Equal("written after the move", held.GetValueOrDefault("note:after.md"));
    }

    // The space's epoch, the name of its history (docs/protocol.md §3.4).
    private static async Task<string?> EpochAsync(RedisCluster cluster)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString);
        return await redis.GetDatabase().StringGetAsync(RedisKeys.For("default")[4]);
    }
}
