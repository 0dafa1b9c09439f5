using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>The bound on how far a change may lead the space's clock, and a push that finds no seq left (docs/protocol.md §3.2).</summary>
public abstract partial class SyncStoreContractTests
{
    [Fact]
    public async Task ChangeLeadingTheClockByMoreThanTheBoundFailsTheWholePush()
    {
        // Arrange
        await ApplyAsync(SpaceA, ("note:a", new Write(10, "dev-a", "v")));
        var bound = 10 + ClockLimits.Default.MaxLead;

        // Act: an honest change first, then one a single tick past the bound.
        var refused = await Assert.ThrowsAsync<ClockLeadException>(() => Store.ApplyAsync(
            SpaceA, [new KeyedWrite("note:b", new Write(11, "dev-a", "honest")), new KeyedWrite("note:c", new Write(bound + 1, "dev-a", "far"))]).DefaultTimeout());
        var atTheBound = await ApplyAsync(SpaceA, ("note:d", new Write(bound, "dev-a", "at the bound")));

        // Assert: the error names the change and the bound; nothing of the push is in; the bound itself is allowed.
        Assert.Equal((1, 10L), (refused.ChangeIndex, refused.Clock));
        Assert.Contains($"changes[1].timestamp must be at most {bound}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(bound, atTheBound.Cursor);
        Assert.Equal(["note:a", "note:d"], (await ReadAllAsync(SpaceA)).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PushesAtTheBoundMoveTheClockOnlyByTheBoundEach()
    {
        // Act: a hundred pushes, each of a change as far ahead as allowed and one as far as 2^53-1.
        for (var i = 0; i < 100; i++)
        {
            var clock = await Store.GetCursorAsync(SpaceA).DefaultTimeout();
            await Assert.ThrowsAsync<ClockLeadException>(() => Store.ApplyAsync(SpaceA, [new KeyedWrite("note:max", new Write(ProtocolLimits.MaxTimestamp, "dev-a", "x"))]).DefaultTimeout());
            await ApplyAsync(SpaceA, ($"note:{i % 3}", new Write(clock + ClockLimits.Default.MaxLead, "dev-a", $"v{i}")));
        }

        // Assert: the clock is a hundred leads on, and the space takes ordinary writes still.
        var cursor = await Store.GetCursorAsync(SpaceA).DefaultTimeout();
        Assert.True(cursor <= 100 * ClockLimits.Default.MaxLead, $"clock {cursor}");
        var next = await ApplyAsync(SpaceA, ("note:after", new Write(cursor + 1, "dev-a", "still writable")));
        Assert.Equal(cursor + 1, next.Cursor);
    }

    [Fact]
    public async Task PushThatCannotBeGivenSeqsFailsWholeAndLeavesOthersAlone()
    {
        // Arrange: a store without a bound on the lead, so the first write takes the clock to 2^53-1 and
        // the second has no seq left to take.
        await Store.DisposeAsync();
        Store = Track(await CreateStoreAsync(new ClockLimits(ProtocolLimits.MaxTimestamp, 10_000)));
        KeyedWrite[] poisoned = [new("note:first", new Write(ProtocolLimits.MaxTimestamp, "dev-a", "x")), new("note:second", new Write(1, "dev-a", "y"))];
        var bystanders = Enumerable.Range(1, 10).Select(i => Store.ApplyAsync(SpaceB, [new KeyedWrite($"note:{i}", new Write(i, "dev-b", "v"))])).ToList();

        // Act
        var failing = Store.ApplyAsync(SpaceA, poisoned);
        bystanders.AddRange(Enumerable.Range(11, 10).Select(i => Store.ApplyAsync(SpaceB, [new KeyedWrite($"note:{i}", new Write(i, "dev-b", "v"))])));

        // Assert: nothing of the failed push is visible, every other push landed.
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => failing.DefaultTimeout());
        await Task.WhenAll(bystanders).DefaultTimeout();
        Assert.Empty(await ReadAllAsync(SpaceA));
        Assert.Equal(0, await Store.GetCursorAsync(SpaceA).DefaultTimeout());
        Assert.Equal(20, (await ReadAllAsync(SpaceB)).Count);
        Assert.Equal(20, await Store.GetCursorAsync(SpaceB).DefaultTimeout());

        // The store still takes pushes to the space afterwards.
        var after = await ApplyAsync(SpaceA, ("note:first", new Write(4, "dev-a", "x")));
        Assert.Equal(4, after.Cursor);
    }
}
