using NoteSync.Client;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Client;

public sealed class LocalStoreTests
{
    [Fact]
    public void OutboxKeepsWriteOrderAndDropsOnlyWhatWasAcked()
    {
        using var dir = new TempDirectory();
        using (var store = new LocalStore(dir.Path))
        {
            for (var i = 1; i <= 5; i++)
            {
                var write = new Write(i, "dev", $"v{i}");
                store.AddLocalWrites([($"note:k{i % 2}", write, EntryState.Of(write))], i);
            }

            var firstThree = store.ReadOutbox(3);
            Assert.Equal(["v1", "v2", "v3"], firstThree.Select(o => o.Value));
            store.ApplyFrame([], clock: 9, lastAck: 7, ackedUpToId: firstThree[^1].Id);
        }

        using var reopened = new LocalStore(dir.Path);
        Assert.Equal(["v4", "v5"], reopened.ReadOutbox(10).Select(o => o.Value));
        Assert.Equal(2, reopened.OutboxCount());
        Assert.Equal(9, reopened.ReadMeta("clock"));
        Assert.Equal(7, reopened.ReadMeta("last_ack"));
    }

    [Fact]
    public void EntriesKeepTheirWholeWriteSet()
    {
        using var dir = new TempDirectory();
        var state = EntryState.OfWrites([new Write(5, "a", "x"), new Write(5, "b", "y"), new Write(5, "c", null)]);
        using (var store = new LocalStore(dir.Path))
        {
            store.ApplyFrame([("note:k", state)], clock: 5, lastAck: 5, ackedUpToId: null);
        }

        using var reopened = new LocalStore(dir.Path);
        var replica = new LwwMap();
        reopened.LoadReplica(replica);
        var loaded = replica.Get("note:k")!;
        Assert.Equal(state.Writes.ToArray(), loaded.Writes.ToArray());
        Assert.True(loaded.IsConflict);
    }
}
