using System.Collections.Concurrent;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Client;

/// <summary>
/// What survives a client going away: the outbox, the cursor, the replica. "kill -9 mid-push" for a
/// library is an answer that never arrives (the <c>LoseAck</c> hook) followed by a new client on the
/// same folder, and a copy of the store's files taken while the client still runs (a crash image).
/// </summary>
public sealed class ClientDurabilityTests
{
    [Fact]
    public async Task RestartedClientResumesFromLastAckAndResendsItsOutbox()
    {
        // Arrange: a client syncs one note, then writes another while the server is down, and is closed.
        await using var server = await ServerProcess.StartAsync();
        using var dir = new TempDirectory();
        long cursorAtClose;
        await using (var first = ClientKit.Start(server, "laptop", dir.Path))
        {
            await first.PutAsync("synced", "v1");
            await first.SyncBoundedAsync();
            server.Kill();
            await first.PutAsync("queued", "written offline");
            cursorAtClose = first.LastAck;
            Assert.Equal(1, first.Status.OutboxDepth);
        }

        await server.RestartAsync();
        await using var observer = HttpDevice.Create(server, "observer");

        // Act: a new client on the same folder.
        var pushes = new ConcurrentQueue<SyncPush>();
        await using var second = ClientKit.Create(server, "laptop", dir.Path);
        Assert.Equal(1, second.Status.OutboxDepth);
        Assert.Equal(cursorAtClose, second.LastAck);
        second.Hooks.PushSending = p => pushes.Enqueue(new SyncPush { LastAck = p.LastAck, Changes = [.. p.Changes] });
        second.Start();
        await second.SyncBoundedAsync();
        var beforeIdle = await observer.PullAsync();
        await second.SyncBoundedAsync();
        var afterIdle = await observer.PullAsync();

        // Assert: it resumed from its cursor (never 0), sent the queued write once, and holds both notes.
        Assert.True(cursorAtClose > 0);
        Assert.True(pushes.TryPeek(out var firstPush));
        Assert.Equal(cursorAtClose, firstPush!.LastAck);
        Assert.DoesNotContain(pushes, p => p.LastAck == 0);
        Assert.Equal("queued", Assert.Single(firstPush.Changes).Key[ProtocolLimits.KeyPrefix.Length..]);
        Assert.Single(pushes, p => p.Changes.Count > 0);
        Assert.Equal(0, second.Status.OutboxDepth);
        Assert.Equal("v1", second.Get("synced"));
        Assert.Equal("written offline", observer.ValueOf("note:queued"));
        Assert.Equal("v1", observer.ValueOf("note:synced"));

        // Nothing more was written: the server's cursor did not move between two idle syncs.
        Assert.Equal(beforeIdle.AckTimestamp, afterIdle.AckTimestamp);
    }

    [Fact]
    public async Task WriteWhoseAckWasLostIsResentByTheNextClientAndAppliedOnce()
    {
        // Arrange: every answer to this client is lost after the server applied its push.
        await using var server = await ServerProcess.StartAsync();
        await using var observer = HttpDevice.Create(server, "observer");
        using var dir = new TempDirectory();
        long timestamp;
        await using (var crashing = ClientKit.Create(server, "laptop", dir.Path))
        {
            crashing.Hooks.LoseAck = _ => true;
            crashing.Start();
            await crashing.PutAsync("mid-push", "must arrive once");
            await ClientKit.WaitUntilAsync(async () => (await observer.PullAsync()) is not null && observer.ValueOf("note:mid-push") is not null, "the server applied the push");
            timestamp = observer.StateOf("note:mid-push")!.Timestamp;
            Assert.Equal(1, crashing.Status.OutboxDepth);
        }

        var serverCursor = (await observer.PullAsync()).AckTimestamp;

        // Act: the next client on the same folder.
        var pushes = new ConcurrentQueue<SyncPush>();
        await using var next = ClientKit.Create(server, "laptop", dir.Path);
        Assert.Equal(1, next.Status.OutboxDepth);
        next.Hooks.PushSending = p => pushes.Enqueue(new SyncPush { LastAck = p.LastAck, Changes = [.. p.Changes] });
        next.Start();
        await next.SyncBoundedAsync();

        // Assert: re-sent with its original timestamp, and harmless: the server's state and cursor did not change.
        var resent = Assert.Single(pushes.SelectMany(p => p.Changes));
        Assert.Equal(timestamp, resent.Timestamp);
        Assert.Equal(0, next.Status.OutboxDepth);
        var after = await observer.PullAsync();
        Assert.Equal(serverCursor, after.AckTimestamp);
        Assert.Equal(timestamp, observer.StateOf("note:mid-push")!.Timestamp);
        Assert.Equal("must arrive once", next.Get("mid-push"));
    }

    [Fact]
    public async Task StoreFilesCopiedWhileTheClientRunsHoldEveryWriteThatReturned()
    {
        // Arrange: an offline client (never started) writes; nothing flushes or closes the store.
        await using var server = await ServerProcess.StartAsync();
        using var dir = new TempDirectory();
        using var crashImage = new TempDirectory();
        await using var running = ClientKit.Create(server, "laptop", dir.Path);
        for (var i = 0; i < 5; i++)
        {
            await running.PutAsync("ordered", $"v{i}");
        }

        await running.PutAsync("other", "x");

        // Act: the files as a kill -9 would leave them, opened by a new client.
        foreach (var file in Directory.GetFiles(dir.Path))
        {
            File.Copy(file, Path.Combine(crashImage.Path, Path.GetFileName(file)));
        }

        var pushes = new ConcurrentQueue<SyncPush>();
        await using var restarted = ClientKit.Create(server, "laptop", crashImage.Path);
        restarted.Hooks.PushSending = p => pushes.Enqueue(new SyncPush { Changes = [.. p.Changes] });
        restarted.Start();
        await restarted.SyncBoundedAsync();

        // Assert: all six writes, pushed in the order they were made.
        var sent = pushes.SelectMany(p => p.Changes).ToList();
        Assert.Equal(["v0", "v1", "v2", "v3", "v4", "x"], sent.Select(c => c.Value));
        Assert.True(sent.Zip(sent.Skip(1)).All(pair => pair.First.Timestamp < pair.Second.Timestamp));
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal("v4", observer.ValueOf("note:ordered"));
        Assert.Equal("x", observer.ValueOf("note:other"));
    }
}
