using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit;

/// <summary>
/// The merge rule is a join (docs/protocol.md §2): commutative, associative, idempotent, so replicas that saw
/// the same writes agree whatever the order. The generators draw from 5 devices, timestamps 1..5 and
/// a handful of values (null included), so equal timestamps, and thus conflicts, are the common case.
/// </summary>
public sealed class LwwMergeProperties
{
    private const int Cases = 10_000;

    [Property(MaxTest = Cases, Arbitrary = [typeof(CrdtArbitraries)])]
    public void MergeOfTwoWritesIsCommutative(WriteSet start, Write first, Write second)
    {
        var oneWay = Merge(Merge(start.ToState(), first), second);
        var otherWay = Merge(Merge(start.ToState(), second), first);

        StateAssert.Equal(oneWay, otherWay);
    }

    [Property(MaxTest = Cases, Arbitrary = [typeof(CrdtArbitraries)])]
    public void JoinOfStatesIsCommutative(WriteSet left, WriteSet right)
    {
        StateAssert.Equal(Join(left.ToState(), right.ToState()), Join(right.ToState(), left.ToState()));
    }

    [Property(MaxTest = Cases, Arbitrary = [typeof(CrdtArbitraries)])]
    public void JoinOfStatesIsAssociative(WriteSet a, WriteSet b, WriteSet c)
    {
        var leftFirst = Join(Join(a.ToState(), b.ToState()), c.ToState());
        var rightFirst = Join(a.ToState(), Join(b.ToState(), c.ToState()));

        StateAssert.Equal(leftFirst, rightFirst);
    }

    [Property(MaxTest = Cases, Arbitrary = [typeof(CrdtArbitraries)])]
    public void MergeIsIdempotent(WriteSet set)
    {
        // Arrange
        var state = set.ToState();

        // Act
        var joinedWithItself = LwwMerge.Join(state, state, out var changed);

        // Assert: nothing changes, neither by joining the state with itself nor by re-delivering any write.
        Assert.False(changed);
        StateAssert.Equal(state, joinedWithItself);
        foreach (var write in set.Writes)
        {
            var again = LwwMerge.Merge(state, write, out var outcome);
            Assert.False(outcome.Changed(), $"re-delivering {StateAssert.Describe(write)} gave {outcome}");
            Assert.Same(state, again);
        }
    }

    [Property(MaxTest = Cases, Arbitrary = [typeof(CrdtArbitraries)])]
    public void ReplicasConvergeWhateverTheDeliveryOrder(Delivery delivery)
    {
        // Arrange: each replica receives every write, in its own order, some of them twice.
        var replicas = delivery.Orders.Select(order =>
        {
            var map = new LwwMap();
            foreach (var write in order)
            {
                map.Apply("note:k", write);
            }

            return map.Get("note:k");
        }).ToList();

        // Assert: all agree, with each other and with the rule computed from scratch.
        var expected = Model(delivery.Writes);
        Assert.All(replicas, replica => StateAssert.Equal(expected, replica));
    }

    [Property(MaxTest = Cases, Arbitrary = [typeof(CrdtArbitraries)])]
    public void WinnerIsGreatestByDeviceIdThenValueWithNullLowest(WriteSet set)
    {
        var state = set.ToState();

        var expected = Model(set.Writes);

        Assert.Equal(expected.Winner, state.Winner);
        Assert.Equal(expected.Writes.ToArray(), state.Writes.ToArray());
        Assert.Equal(expected.Writes.ToArray().Select(w => w.Value).Distinct().Count() > 1, state.IsConflict);
        Assert.Equal(expected.Writes.ToArray().Where(w => w.Value != expected.Winner.Value), state.Siblings);
    }

    private static EntryState Merge(EntryState state, Write write) => LwwMerge.Merge(state, write, out _);

    private static EntryState Join(EntryState left, EntryState right) => LwwMerge.Join(left, right, out _);

    /// <summary>
    /// The rule of docs/protocol.md §2 written out from scratch, without LwwMerge or Write.CompareForWinner:
    /// the distinct writes at the highest timestamp, best first by (device_id, value), null lowest.
    /// </summary>
    private static EntryState Model(IEnumerable<Write> writes)
    {
        var all = writes.ToList();
        var top = all.Max(w => w.Timestamp);
        var best = all.Where(w => w.Timestamp == top).Distinct().ToList();
        best.Sort((a, b) => ModelCompare(b, a));
        var state = EntryState.OfWrites(best);

        // OfWrites sorts too; check our own order so the model does not lean on it.
        Assert.Equal(best, state.Writes.ToArray());
        return state;
    }

    private static int ModelCompare(Write a, Write b)
    {
        var byDevice = string.CompareOrdinal(a.DeviceId, b.DeviceId);
        if (byDevice != 0)
        {
            return byDevice;
        }

        return (a.Value, b.Value) switch
        {
            (null, null) => 0,
            (null, _) => -1,
            (_, null) => 1,
            var (x, y) => string.CompareOrdinal(x, y),
        };
    }

    /// <summary>A non-empty set of writes, merged in order into a state.</summary>
    public sealed record WriteSet(Write[] Writes)
    {
        public EntryState ToState()
        {
            EntryState? state = null;
            foreach (var write in Writes)
            {
                state = LwwMerge.Merge(state, write, out _);
            }

            return state!;
        }

        public override string ToString() => $"[{string.Join(", ", Writes.Select(StateAssert.Describe))}]";
    }

    /// <summary>Writes and, per replica, the order it receives them in (a permutation with some re-deliveries).</summary>
    public sealed record Delivery(Write[] Writes, Write[][] Orders)
    {
        public override string ToString() =>
            $"writes [{string.Join(", ", Writes.Select(StateAssert.Describe))}]; {Orders.Length} replicas";
    }

    /// <summary>Small generators, so that equal timestamps and equal devices are frequent.</summary>
    public static class CrdtArbitraries
    {
        private static readonly string[] Devices = ["dev-a", "dev-b", "dev-c", "dev-d", "dev-e"];
        private static readonly string?[] Values = [null, "", "a", "b", "ab", "\u00e9"];

        private static readonly Gen<Write> WriteGen =
            from timestamp in Gen.Choose(1, 5)
            from device in Gen.Elements(Devices)
            from value in Gen.Elements(Values)
            select new Write(timestamp, device, value);

        public static Arbitrary<Write> Write() => Arb.From(WriteGen);

        public static Arbitrary<WriteSet> WriteSet() => Arb.From(
            from count in Gen.Choose(1, 8)
            from writes in Gen.ArrayOf(WriteGen, count)
            select new WriteSet(writes));

        public static Arbitrary<Delivery> Delivery() => Arb.From(
            from count in Gen.Choose(1, 16)
            from writes in Gen.ArrayOf(WriteGen, count)
            from orders in Gen.ArrayOf(OrderOf(writes), 4)
            select new Delivery(writes, orders));

        private static Gen<Write[]> OrderOf(Write[] writes) =>
            from redelivered in Gen.SubListOf(writes)
            from order in Gen.Shuffle(writes.Concat(redelivered))
            select order;
    }
}
