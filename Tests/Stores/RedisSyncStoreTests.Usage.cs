using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.Stores;

/// <summary>The usage hash (<c>ns:{space}:usage</c>), and the count a space written before it existed gets.</summary>
public sealed partial class RedisSyncStoreTests
{
    [Fact]
    public async Task ASpaceWrittenWithoutTheUsageHashIsCountedFromItsEntriesAtItsNextChange()
    {
        // Arrange: notes, a tombstone, a conflict and non-ASCII text; then the hash is gone, as in a
        // space written by a server from before it existed.
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "plain")), ("note:é", new Write(2, "dev-a", "😀 ünïcode")), ("note:gone", new Write(3, "dev-a", "x")));
        await ApplyAsync(SpaceA, ("note:gone", new Write(4, "dev-a", null)), ("note:t", new Write(5, "dev-a", "x")), ("note:t", new Write(5, "dev-b", null)), ("note:t", new Write(5, "dev-é", "z")));
        var kept = await UsageHashAsync(SpaceA);
        var usageKey = RedisKeys.For(SpaceA)[5];
        await Database.KeyDeleteAsync(usageKey);

        // Act: a push that changes nothing, one over the notes quota, then one that goes in.
        await RestartAsync(new SpaceQuotas(4, SpaceQuotas.Default.MaxBytes));
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "plain")));
        var untouched = await Database.KeyExistsAsync(usageKey);
        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() => ApplyAsync(SpaceA, ("note:b", new Write(6, "dev-a", "b")), ("note:c", new Write(6, "dev-a", "c"))));
        var absentAfterRefusal = !await Database.KeyExistsAsync(usageKey);
        await ApplyAsync(SpaceA, ("note:b", new Write(7, "dev-a", "b")));

        // Assert: the script's running count was right; a refusal writes nothing; the count from the
        // entries, plus the new note, is what the hash holds now.
        var all = await ReadAllAsync(SpaceA);
        var expected = all.Aggregate(default(SpaceUsage), (u, e) => u + SpaceQuotas.UsageOf(e.Key, e.Value.State));
        Assert.Equal(new SpaceUsage(3, (6 + 5 + 5 + 64) + (7 + 5 + 14 + 64) + (9 + 5 + 64) + (6 + 5 + 1 + 5 + 6 + 1 + 64)), kept);
        Assert.False(untouched);
        Assert.StartsWith("the space would hold 5 notes,", refused.Message, StringComparison.Ordinal);
        Assert.True(absentAfterRefusal);
        Assert.Equal(expected, await UsageHashAsync(SpaceA));
        Assert.Equal(kept + new SpaceUsage(1, 6 + 5 + 1 + 64), expected);
    }

    private async Task<SpaceUsage> UsageHashAsync(string space)
    {
        var held = await Database.HashGetAsync(RedisKeys.For(space)[5], ["notes", "bytes"]);
        return new SpaceUsage((long)held[0], (long)held[1]);
    }
}
