using NoteSync.Client;
using NoteSync.Shared;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Client;

/// <summary>
/// The client's side of epochs and resets against <see cref="FakeSyncServer"/>, a scripted in-memory server
/// (polling): a restore under the device, the re-upload of what the server lost, and a crash in the middle.
/// </summary>
public sealed class ClientResetLogicTests
{
    private static NoteSyncClient Open(FakeSyncServer server, string device, string dir) => new(
        new SyncConfig { DeviceId = device, SyncEndpoint = server.BaseUri, EnableWebSocket = false, SyncIntervalMs = 100 },
        new NoteSyncClientOptions
        {
            DataDirectory = dir,
            MinReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(300),
            RequestTimeout = TimeSpan.FromSeconds(10),
        });

    [Fact]
    public async Task RestoreUnderADeviceReplacesItsCursorAndEpochAndPutsBackWhatTheServerLost()
    {
        // Arrange: pages of 2; the laptop writes, a backup is taken, the laptop and the phone write more.
        await using var server = await FakeSyncServer.StartAsync();
        server.PageSize = 2;
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        using var newcomerDir = new TempDirectory();
        await using var laptop = Open(server, "laptop", laptopDir.Path);
        await using var phone = Open(server, "phone", phoneDir.Path);
        var resets = new List<HistoryResetProgress>();
        long? cursorAtReset = null;
        laptop.HistoryReset += (_, r) =>
        {
            lock (resets)
            {
                resets.Add(r);
                cursorAtReset ??= laptop.LastAck;
            }
        };
        laptop.Start();
        phone.Start();
        for (var i = 0; i < 3; i++)
        {
            await laptop.PutAsync($"before/{i}.md", $"before {i}");
        }

        await laptop.SyncBoundedAsync();
        var oldEpoch = server.Epoch;
        Assert.Equal(oldEpoch, laptop.Epoch);
        var backup = server.Backup();
        await laptop.PutAsync("after/laptop.md", "after, laptop");
        await laptop.DeleteAsync("before/0.md");
        await phone.PutAsync("after/phone.md", "after, phone");
        await phone.PutAsync("after/phone2.md", "after, phone 2");
        await phone.SyncBoundedAsync();
        var phoneWrite = phone.GetVersion("after/phone.md")!;

        // The phone goes offline through the restore (it would otherwise take part in it).
        await phone.DisposeAsync();
        await laptop.SyncBoundedAsync();
        var cursorBefore = laptop.LastAck;

        // Act: restore the backup (a new epoch); a new device writes three notes; the laptop syncs.
        server.Restore(backup);
        var pushesBeforeRestore = server.Pushes.Count;
        await using (var newcomer = Open(server, "newcomer", newcomerDir.Path))
        {
            newcomer.Start();
            await newcomer.WriteManyAsync([new("new/1.md", "one"), new("new/2.md", "two"), new("new/3.md", "three")]);
            await newcomer.SyncBoundedAsync();
        }

        await laptop.SyncBoundedAsync();

        // Assert: the laptop took the new history's cursor and epoch, although that cursor (the reset's first
        // page ends at 2) is lower than its old one (3 + 4); the pages and re-uploads then moved it on.
        Assert.Equal(server.Epoch, laptop.Epoch);
        Assert.NotEqual(oldEpoch, laptop.Epoch);
        Assert.Equal(server.Cursor, laptop.LastAck);
        Assert.False(laptop.IsResetting);
        lock (resets)
        {
            Assert.Equal(2, cursorAtReset);
            Assert.Equal(7, cursorBefore);
            Assert.Equal(HistoryResetPhase.Started, resets[0].Phase);
            Assert.Equal(HistoryResetPhase.Finished, resets[^1].Phase);

            // Lost: after/laptop.md, after/phone.md, after/phone2.md and the delete of before/0.md.
            Assert.Equal(4, resets[^1].NotesToReupload);
        }

        // Every note on the server, the delete included, and the new notes on the laptop.
        var state = server.State();
        Assert.Equal("after, laptop", state["note:after/laptop.md"].Winner.Value);
        Assert.Equal("after, phone", state["note:after/phone.md"].Winner.Value);
        Assert.Null(state["note:before/0.md"].Winner.Value);
        Assert.Equal(["after/laptop.md", "after/phone.md", "after/phone2.md", "before/1.md", "before/2.md", "new/1.md", "new/2.md", "new/3.md"], laptop.List());

        // Re-uploads kept their timestamps, went up in timestamp order, and every push named an epoch once there was one.
        var laptopPushes = server.Pushes.Skip(pushesBeforeRestore).Where(p => p.Device == "laptop").Select(p => p.Push).ToList();
        Assert.Equal(oldEpoch, laptopPushes[0].Epoch);
        Assert.Equal(cursorBefore, laptopPushes[0].LastAck);
        var reuploaded = laptopPushes.Skip(1).SelectMany(p => p.Changes).ToList();
        Assert.Contains(reuploaded, c => c.Key == "note:after/phone.md" && c.Timestamp == phoneWrite.Timestamp && c.DeviceId == "laptop");
        Assert.Contains(reuploaded, c => c.Key == "note:before/0.md" && c.Value is null);
        Assert.Equal(reuploaded.Select(c => c.Timestamp).Order(), reuploaded.Select(c => c.Timestamp));
        Assert.All(laptopPushes, p => Assert.NotNull(p.Epoch));

        // The phone converges too: its push (with an edit queued through the restore) names the old epoch,
        // it is reset, its outbox is kept, and it loses nothing.
        await using var phoneAgain = Open(server, "phone", phoneDir.Path);
        await phoneAgain.PutAsync("queued.md", "queued through the restore");
        phoneAgain.Start();
        await phoneAgain.SyncBoundedAsync();
        Assert.Equal("queued through the restore", server.State()["note:queued.md"].Winner.Value);
        await laptop.SyncBoundedAsync();
        Assert.Equal(laptop.List(), phoneAgain.List());
        Assert.Contains("queued.md", laptop.List());
        Assert.Equal(server.Epoch, phoneAgain.Epoch);
    }

    [Fact]
    public async Task CrashInTheMiddleOfAResetLosesNothing()
    {
        // Arrange: the laptop holds four notes; the server is restored to empty and a new device writes five.
        await using var server = await FakeSyncServer.StartAsync();
        server.PageSize = 2;
        var empty = server.Backup();
        using var laptopDir = new TempDirectory();
        using var newcomerDir = new TempDirectory();
        await using (var laptop = Open(server, "laptop", laptopDir.Path))
        {
            laptop.Start();
            await laptop.WriteManyAsync([.. Enumerable.Range(0, 4).Select(i => new KeyValuePair<string, string?>($"mine/{i}.md", $"mine {i}"))]);
            await laptop.SyncBoundedAsync();
        }

        server.Restore(empty);
        await using (var newcomer = Open(server, "newcomer", newcomerDir.Path))
        {
            newcomer.Start();
            await newcomer.WriteManyAsync([.. Enumerable.Range(0, 5).Select(i => new KeyValuePair<string, string?>($"new/{i}.md", $"new {i}"))]);
            await newcomer.SyncBoundedAsync();
        }

        // Act: the reset's first page arrives, then every further page fails; the device stops there.
        var newEpoch = server.Epoch;
        server.Refuse = p => p.Epoch == newEpoch;
        await using (var laptop = Open(server, "laptop", laptopDir.Path))
        {
            laptop.Start();
            await ClientKit.WaitUntilAsync(() => laptop.IsResetting && laptop.Status.State == ConnectionState.Offline, "the reset to begin and its next page to fail");
        }

        // Assert: the reset is remembered on disk; once the server answers again it ends, and nothing is lost.
        server.Refuse = null;
        await using var reopened = Open(server, "laptop", laptopDir.Path);
        Assert.True(reopened.IsResetting);
        Assert.Equal(newEpoch, reopened.Epoch);
        reopened.Start();
        await reopened.SyncBoundedAsync();
        Assert.False(reopened.IsResetting);
        var state = server.State();
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal($"mine {i}", state[$"note:mine/{i}.md"].Winner.Value));
        Assert.Equal(9, reopened.List().Count);
    }
}
