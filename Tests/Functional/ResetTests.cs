using System.Text.Json;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Epochs and resets (docs/protocol.md): a device whose cursor names a history the space no longer has
/// (above its clock, or of another epoch) gets the whole space again with <c>reset</c>, on both stores;
/// the backup command's copy, put back, renames the history; a history renamed under a live
/// connection drops it.
/// </summary>
public sealed class ResetTests
{
    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task DeviceAheadOfTheSpaceOrOfAnotherEpochGetsTheWholeSpaceAsAReset(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        await writer.PutManyAsync([("note:a", "1"), ("note:b", "2"), ("note:c", "3")]);
        await using var device = await WsDevice.ConnectAsync(server, "returning");
        var current = await AskAsync(device, "r0", lastAck: 0, epoch: null);
        var cursor = current.AckTimestamp;
        Assert.False(current.Reset);
        Assert.NotNull(current.Epoch);

        // Ahead of the clock, with or without an epoch: a reset from 0, with the space's cursor and epoch.
        foreach (var epoch in new[] { null, current.Epoch })
        {
            var ahead = await AskAsync(device, $"r-ahead-{epoch}", lastAck: cursor + 1000, epoch);
            Assert.True(ahead.Reset);
            Assert.Equal(["note:a", "note:b", "note:c"], ahead.Changes.Select(c => c.Key).Order(StringComparer.Ordinal));
            Assert.Equal((cursor, current.Epoch), (ahead.AckTimestamp, ahead.Epoch));
        }

        // Another epoch at a cursor the space has: a reset too.
        var other = await AskAsync(device, "r-other", lastAck: cursor, epoch: "a-history-this-space-never-had");
        Assert.True(other.Reset);
        Assert.Equal(3, other.Changes.Count);

        // The space's own epoch and cursor: an ordinary answer, nothing new.
        var same = await AskAsync(device, "r-same", lastAck: cursor, current.Epoch);
        Assert.False(same.Reset);
        Assert.Empty(same.Changes);
        Assert.Equal(current.Epoch, same.Epoch);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AHubDeviceOfAnotherEpochIsResetToo(bool messagePack)
    {
        await using var server = await InProcessServer.StartAsync();
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        await writer.PutManyAsync([("note:a", "1"), ("note:b", "2")]);
        await using var hub = await HubDevice.ConnectAsync(server, "hub", messagePack);
        var synced = await hub.PullAsync();

        var push = hub.NewPush();
        push.LastAck = synced.AckTimestamp;
        push.Epoch = "a-history-this-space-never-had";
        var reset = await hub.PushAsync(push);

        Assert.True(reset.Reset);
        Assert.Equal(synced.Epoch, reset.Epoch);
        Assert.Equal(["note:a", "note:b"], reset.Changes.Select(c => c.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ABackupPutBackRenamesTheHistorySoADeviceBehindTheNewCursorIsResetToo()
    {
        // Arrange: three notes, a backup taken while the server runs, two more notes.
        using var dataDir = new TempDirectory();
        using var backupDir = new TempDirectory();
        var settings = new Dictionary<string, string> { ["NoteSync__DataDir"] = dataDir.Path };
        long laptopCursor;
        string laptopEpoch;
        await using (var server = await InProcessServer.StartAsync(dataDir: dataDir.Path))
        {
            await using var laptop = await WsDevice.ConnectAsync(server, "laptop");
            await laptop.PutManyAsync([("note:1", "1"), ("note:2", "2"), ("note:3", "3")]);
            var (exit, stdout, stderr) = await ServerCommand.RunAsync(settings, "backup", Path.Combine(backupDir.Path, "copy"));
            Assert.True(exit == 0, stderr);
            Assert.Contains("To restore", stdout, StringComparison.Ordinal);
            await laptop.PutManyAsync([("note:4", "lost in the restore"), ("note:5", "lost in the restore")]);
            var answer = await AskAsync(laptop, "l-cursor", laptop.Cursor, epoch: null);
            (laptopCursor, laptopEpoch) = (answer.AckTimestamp, answer.Epoch!);

            // The store's own lock keeps renew-epoch off a running server's database.
            var refused = await ServerCommand.RunAsync(settings, "renew-epoch");
            Assert.Equal(5, refused.ExitCode);
            Assert.Contains("another NoteSync server holds", refused.StdErr, StringComparison.Ordinal);
        }

        // Act: the restore, by the book; then enough new notes to take the clock past the laptop's cursor.
        File.Copy(Path.Combine(backupDir.Path, "copy", "notesync.db"), Path.Combine(dataDir.Path, "notesync.db"), overwrite: true);
        File.Delete(Path.Combine(dataDir.Path, "notesync.db-wal"));
        File.Delete(Path.Combine(dataDir.Path, "notesync.db-shm"));
        await using var restored = await InProcessServer.StartAsync(dataDir: dataDir.Path);
        await using var phone = await WsDevice.ConnectAsync(restored, "phone");
        await phone.PullAsync();
        await phone.PutManyAsync([.. Enumerable.Range(0, 5).Select(i => ($"note:new/{i}", (string?)"after the restore"))]);
        await using var laptopAgain = await WsDevice.ConnectAsync(restored, "laptop");
        var back = await AskAsync(laptopAgain, "l-back", laptopCursor, laptopEpoch);

        // Assert: the laptop's cursor is below the clock now, but its epoch is gone: a reset with every
        // note the restored server has, the new ones included (the laptop re-uploads 4 and 5 itself).
        Assert.True(back.AckTimestamp > laptopCursor, $"the clock {back.AckTimestamp} did not pass the laptop's {laptopCursor}");
        Assert.True(back.Reset);
        Assert.NotEqual(laptopEpoch, back.Epoch);
        Assert.Equal(
            ["note:1", "note:2", "note:3", "note:new/0", "note:new/1", "note:new/2", "note:new/3", "note:new/4"],
            back.Changes.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.Contains("is a restored backup", restored.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenewEpochGivesAStoppedServersDatabaseANewHistory()
    {
        using var dataDir = new TempDirectory();
        var settings = new Dictionary<string, string> { ["NoteSync__DataDir"] = dataDir.Path };
        string before;
        await using (var server = await InProcessServer.StartAsync(dataDir: dataDir.Path))
        {
            await using var device = await WsDevice.ConnectAsync(server, "dev");
            before = (await device.PutAsync("note:a", "v")).Epoch!;
        }

        var (exit, stdout, stderr) = await ServerCommand.RunAsync(settings, "renew-epoch");

        Assert.True(exit == 0, stderr);
        await using var again = await InProcessServer.StartAsync(dataDir: dataDir.Path);
        await using var reader = await WsDevice.ConnectAsync(again, "reader");
        var after = (await reader.PullAsync()).Epoch!;
        Assert.NotEqual(before, after);
        Assert.Contains(after, stdout, StringComparison.Ordinal);
        Assert.Equal("v", reader.ValueOf("note:a"));
    }

    [Fact]
    public async Task AHistoryRenamedUnderALiveConnectionDropsItAndTheDeviceIsResetOnReturn()
    {
        // Arrange: a device synced and listening on a Redis-backed server.
        await using var server = await InProcessServer.StartOnStoreAsync(TestStores.Redis);
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        await writer.PutAsync("note:before", "v");
        await using var listener = await WsDevice.ConnectAsync(server, "listener");
        var synced = await AskAsync(listener, "s", 0, null);

        // Act: as after a failover, the space's record names another primary; the next change fences
        // the clock and renames the history.
        await using (var redis = await server.Redis!.ConnectAsync())
        {
            await redis.GetDatabase().StringSetAsync(RedisKeys.For("default")[3], "replid-of-a-lost-primary");
        }

        await writer.PutAsync("note:after", "v");

        // Assert: the listener's connection is dropped rather than fed the new history from its old
        // cursor; back with its epoch, it is reset.
        await listener.Closed.WaitAsync(TimeSpan.FromSeconds(30));
        await using var back = await WsDevice.ConnectAsync(server, "listener");
        var reset = await AskAsync(back, "b", synced.AckTimestamp, synced.Epoch);
        Assert.True(reset.Reset);
        Assert.Equal(["note:after", "note:before"], reset.Changes.Select(c => c.Key).Order(StringComparer.Ordinal));
    }

    private static async Task<SyncAck> AskAsync(WsDevice device, string requestId, long lastAck, string? epoch)
    {
        var push = new SyncPush { LastAck = lastAck, RequestId = requestId, Epoch = epoch };
        var json = JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush);
        var answer = await device.SendAndWaitAsync(json, requestId);
        var ack = Assert.IsType<SyncAck>(answer);
        return ack;
    }
}
