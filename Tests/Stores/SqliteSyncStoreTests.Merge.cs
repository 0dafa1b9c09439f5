using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>
/// SQLite's automatic merge inside the edit's commit (<see cref="ISyncStore.MergesConcurrentEdits"/>): the push
/// that makes the conflict commits the merged version with it, so its result (what every device is sent)
/// holds the merge and never the conflict.
/// </summary>
public sealed partial class SqliteSyncStoreTests
{
    private const string Trip = "one\ntwo\nthree\n";

    [Fact]
    public async Task APushThatLeavesTwoEditsOfDifferentLinesCommitsTheirMergeWithIt()
    {
        // Arrange: the laptop's edit of line one is in; the phone edited line three of the same version.
        await Store.DisposeAsync();
        await using var store = Open(merges: true);
        VersionId[] original = [new(1, "laptop")];
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:trip", new Write(1, "laptop", Trip), [])]).DefaultTimeout();
        var laptop = await store.ApplyAsync(SpaceA, [new KeyedWrite("note:trip", new Write(2, "laptop", "one!\ntwo\nthree\n"), original)]).DefaultTimeout();

        // Act
        var phone = await store.ApplyAsync(SpaceA, [new KeyedWrite("note:trip", new Write(3, "phone", "one\ntwo\nthree!\n"), original)]).DefaultTimeout();

        // Assert: the phone's push returns the merged note alone, one seq past the edit's; both edits and
        // the merge are in the history, the merge naming both.
        var entry = Assert.Single(phone.Changed);
        var merged = Assert.Single(entry.State.Writes.ToArray());
        Assert.Equal(new Write(4, DeviceIds.Merge, "one!\ntwo\nthree!\n"), merged);
        Assert.Equal((laptop.Cursor, 4L, 4L, 1), (phone.PreviousCursor, phone.Cursor, entry.Seq, phone.AutoMerged));
        var history = await store.ReadHistoryAsync(SpaceA, "note:trip", 10).DefaultTimeout();
        Assert.Equal([(4L, DeviceIds.Merge, true), (3L, "phone", false), (2L, "laptop", false), (1L, "laptop", false)], history.Select(v => (v.Timestamp, v.DeviceId, v.IsHead)));
        Assert.Equal([new VersionId(2, "laptop"), new VersionId(3, "phone")], history[0].Base!.OrderBy(v => v.Timestamp).ToArray());
        Assert.Equal("one\ntwo\nthree!\n", (await store.ReadVersionAsync(SpaceA, "note:trip", 3, "phone").DefaultTimeout())!.Value);
        Assert.Equal(merged, Assert.Single((await ReadAllWithAsync(store, SpaceA))["note:trip"].State.Writes.ToArray()));
    }

    [Fact]
    public async Task EditsOfTheSameLineOrWithoutABaseStayAConflictInTheirPush()
    {
        await Store.DisposeAsync();
        await using var store = Open(merges: true);
        VersionId[] original = [new(1, "laptop")];
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:same", new Write(1, "laptop", Trip), []), new KeyedWrite("note:old", new Write(1, "laptop", Trip))]).DefaultTimeout();
        await store.ApplyAsync(SpaceA, [new KeyedWrite("note:same", new Write(2, "laptop", "one!\ntwo\nthree\n"), original), new KeyedWrite("note:old", new Write(2, "laptop", "one!\ntwo\nthree\n"))]).DefaultTimeout();

        var phone = await store.ApplyAsync(SpaceA, [new KeyedWrite("note:same", new Write(3, "phone", "one?\ntwo\nthree\n"), original), new KeyedWrite("note:old", new Write(2, "phone", "one\ntwo\nthree!\n"))]).DefaultTimeout();

        Assert.Equal(0, phone.AutoMerged);
        Assert.All(phone.Changed, e => Assert.Equal(2, e.State.Writes.Length));
        Assert.Equal(["note:old", "note:same"], phone.Changed.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    private static async Task<Dictionary<string, StoredEntry>> ReadAllWithAsync(SqliteSyncStore store, string space) =>
        (await store.ReadSinceAsync(space, 0, 1000, long.MaxValue).DefaultTimeout()).Entries.ToDictionary(e => e.Key, StringComparer.Ordinal);
}
