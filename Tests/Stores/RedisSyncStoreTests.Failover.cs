using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>
/// After a failover or a lost space (docs/protocol.md §3.4): the first change jumps the clock past
/// what the old primary could have handed out, and the space's history gets a new epoch.
/// </summary>
public sealed partial class RedisSyncStoreTests
{
    [Fact]
    public async Task FirstChangeAfterAFailoverJumpsTheClockPastWhatTheOldPrimaryCouldHaveHandedOut()
    {
        // Arrange: a space written under this primary; then, as a promoted replica would find it, the
        // stored replication id is another primary's.
        var margin = ClockLimits.Default.FailoverMargin;
        var first = await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v1")));
        var second = await ApplyAsync(SpaceA, ("note:b", new Write(1, "dev-a", "v1")));
        await Database.StringSetAsync(RedisKeys.For(SpaceA)[3], "replid-of-the-old-primary");

        // Act
        var afterFailover = await ApplyAsync(SpaceA, ("note:c", new Write(1, "dev-a", "v1")));
        var next = await ApplyAsync(SpaceA, ("note:d", new Write(1, "dev-a", "v1")));
        var noChange = await ApplyAsync(SpaceA, ("note:d", new Write(1, "dev-a", "v1")));

        // Assert: no jump under the same primary; one jump, by the margin, after the "failover"; the
        // previous cursor is the clock before the jump, so windows join on.
        Assert.Equal((0, 1), (first.PreviousCursor, first.Cursor));
        Assert.Equal((1, 2), (second.PreviousCursor, second.Cursor));
        Assert.Equal((2, 2 + margin + 1), (afterFailover.PreviousCursor, afterFailover.Cursor));
        Assert.Equal(afterFailover.Cursor + 1, next.Cursor);
        Assert.Equal(next.Cursor, noChange.Cursor);
        var page = await Store.ReadSinceAsync(SpaceA, 2, 100, 1 << 20).DefaultTimeout();
        Assert.Equal(["note:c", "note:d"], page.Entries.Select(e => e.Key));

        // The history may have lost what devices saw, so it gets a new name, and keeps it.
        Assert.Equal(first.Epoch, second.Epoch);
        Assert.NotEqual(second.Epoch, afterFailover.Epoch);
        Assert.All(new[] { next.Epoch, noChange.Epoch, page.Epoch }, e => Assert.Equal(afterFailover.Epoch, e));
    }

    [Fact]
    public async Task FirstChangeOfASpaceWithNoRecordedPrimaryJumpsTheClock()
    {
        // Arrange: a space with no record of its primary, as a new one, or one whose first writes and
        // their record a failover lost together (devices may hold seqs the new primary never saw).
        var space = SpaceA + "-unrecorded";
        await Database.KeyDeleteAsync(RedisKeys.For(space)[3]);

        // Act
        var first = await ApplyAsync(space, ("note:a", new Write(1, "dev-a", "v1")));
        var second = await ApplyAsync(space, ("note:b", new Write(1, "dev-a", "v1")));

        // Assert: the first seq is past the margin; the next follows on; the history got a name at once.
        Assert.Equal((0, ClockLimits.Default.FailoverMargin + 1), (first.PreviousCursor, first.Cursor));
        Assert.Equal(first.Cursor + 1, second.Cursor);
        Assert.NotNull(first.Epoch);
        Assert.Equal(first.Epoch, second.Epoch);
    }

    [Fact]
    public async Task AfterRedisLostASpaceDevicesWithClocksFromItCanStillWrite()
    {
        // Arrange: a space whose clock went far, as a busy one's does; then Redis loses it whole.
        var margin = ClockLimits.Default.FailoverMargin;
        await ApplyAsync(SpaceA, ("note:a", new Write(ClockLimits.Default.MaxLead, "dev-a", "v")));
        var before = await ApplyAsync(SpaceA, ("note:a", new Write(2 * ClockLimits.Default.MaxLead, "dev-a", "v")));
        await Database.KeyDeleteAsync(RedisKeys.For(SpaceA));

        // Act: a device whose clock came from the lost history writes (a re-upload, say): far more
        // than the bound above the emptied clock, but within it of the clock the fence jumps to.
        var reUpload = await ApplyAsync(SpaceA, ("note:a", new Write(before.Cursor + 1, "dev-a", "v again")));
        var tooFar = await Assert.ThrowsAsync<ClockLeadException>(() => Store.ApplyAsync(
            SpaceA + "-fresh", [new KeyedWrite("note:b", new Write(margin + ClockLimits.Default.MaxLead + 1, "dev-b", "v"))]).DefaultTimeout());

        // Assert: taken, past the jump, under a new epoch; the bound still holds beyond the jump.
        Assert.Equal(margin + 1 > before.Cursor + 1 ? margin + 1 : before.Cursor + 1, reUpload.Cursor);
        Assert.NotEqual(before.Epoch, reUpload.Epoch);
        Assert.Contains($"must be at most {margin + ClockLimits.Default.MaxLead}:", tooFar.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailoverMarginCoversTenThousandCommitsThatEachMoveTheClockAsFarAsAllowed()
    {
        var limits = new ClockLimits(1_000_000, 10_000);

        Assert.Equal(1_010_000L * 10_000, limits.FailoverMargin);
        Assert.True(ProtocolLimits.MaxTimestamp / ClockLimits.Default.FailoverMargin > 100_000, "the margin would let a few failovers exhaust 2^53");
    }
}
