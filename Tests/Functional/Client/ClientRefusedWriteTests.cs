using System.Collections.Concurrent;
using NoteSync.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// A write the server refuses for good does not take the rest of its batch with it: the client halves
/// the batch until the refused write is alone, keeps it in the outbox set aside with the server's reason
/// (<see cref="NoteSyncClient.Refused"/>, <see cref="NoteSyncClient.WriteRefused"/>), sends the others, and
/// sends the note again only once it is written again.
/// </summary>
public sealed class ClientRefusedWriteTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ANoteOverTheValueLimitIsSetAsideWithTheReasonAndTheOthersGoUp(bool webSocket)
    {
        // Arrange: a server taking values of at most 64 KiB; a 100 KB note among five small ones.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxValueBytes"] = "65536" });
        using var dir = new TempDirectory();
        await using var client = ClientKit.Create(server, "laptop", dir.Path, webSocket);
        var events = new ConcurrentQueue<RefusedWrite>();
        client.WriteRefused += (_, r) => events.Enqueue(r);
        await client.PutAsync("a.md", "a");
        await client.PutAsync("b.md", "b");
        await client.PutAsync("big.md", new string('x', 100_000));
        await client.PutAsync("c.md", "c");
        await client.PutAsync("d.md", "d");
        await client.PutAsync("e.md", "e");

        // Act
        client.Start();
        await client.SyncBoundedAsync();

        // Assert: the big note alone is refused, with the server's reason, and stays in the outbox.
        var refused = Assert.Single(client.Refused);
        Assert.Equal("big.md", refused.Path);
        Assert.Equal(ErrorCodes.TooLarge, refused.Code);
        Assert.Contains("65536", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(refused, Assert.Single(events));
        Assert.Equal(1, client.Status.OutboxDepth);
        Assert.Equal(1, client.Status.RefusedWrites);
        await ClientKit.WaitUntilAsync(() => client.Status.State == ConnectionState.Online, "the client to be online with the write set aside");
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(["note:a.md", "note:b.md", "note:c.md", "note:d.md", "note:e.md"], observer.Snapshot().Keys.Order(StringComparer.Ordinal));

        // Act: a later sync does not send it again; a new edit of the note replaces it and goes up.
        var sent = new ConcurrentQueue<SyncPush>();
        client.Hooks.PushSending = p => sent.Enqueue(p);
        await client.SyncBoundedAsync();
        Assert.DoesNotContain(sent, p => p.Changes.Count > 0);
        await client.PutAsync("big.md", "small now");
        await client.SyncBoundedAsync();

        // Assert
        Assert.Empty(client.Refused);
        Assert.Equal(0, client.Status.OutboxDepth);
        Assert.Equal(0, client.Status.RefusedWrites);
        await observer.PullAsync();
        Assert.Equal("small now", observer.Snapshot()["note:big.md"]);
    }

    [Fact]
    public async Task ARefusedWriteStaysSetAsideAcrossARestart()
    {
        // Arrange: a write refused, then the client closed.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxValueBytes"] = "65536" });
        using var dir = new TempDirectory();
        await using (var first = ClientKit.Start(server, "laptop", dir.Path, webSocket: false))
        {
            await first.PutAsync("big.md", new string('x', 100_000));
            await first.SyncBoundedAsync();
            Assert.Single(first.Refused);
        }

        // Act
        await using var again = ClientKit.Create(server, "laptop", dir.Path, webSocket: false);

        // Assert: the store kept it and its reason.
        var refused = Assert.Single(again.Refused);
        Assert.Equal(("big.md", ErrorCodes.TooLarge), (refused.Path, refused.Code));
        Assert.Equal(1, again.Status.RefusedWrites);
    }
}
