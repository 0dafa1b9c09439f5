using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit;

/// <summary>
/// Writes with <c>base</c> (docs/protocol.md §2): three devices edit one note from the versions they
/// last saw, offline or not, push in order to one server (some pushes re-sent), and read the server's
/// state back late and out of order; a script writes without <c>base</c> now and then. Each case is
/// a list of such actions drawn at random. At the end every device holds the server's heads, and those
/// are exactly the writes no other write saw: nothing one person wrote is replaced by an edit that
/// never saw it, and nothing that was seen comes back.
/// </summary>
public sealed class HeadsMergeProperties
{
    private const int Cases = 100_000;

    [Property(MaxTest = Cases, Arbitrary = [typeof(ActionArbitraries)])]
    public void DevicesConvergeOnTheWritesNoOtherWriteSaw(Actions actions)
    {
        var run = Run.Play(actions.Codes);

        run.Finish();

        if (run.Server is null)
        {
            return;
        }

        var heads = run.Server.Writes.ToArray();
        Assert.Equal(run.TrueHeads().OrderBy(Describe), heads.Select(w => VersionId.Of(w)).OrderBy(Describe));
        foreach (var device in run.Devices)
        {
            Assert.True(
                heads.AsSpan().SequenceEqual(device.Replica!.Writes),
                $"{device.Name} holds [{string.Join(", ", device.Replica.Writes.ToArray().Select(StateAssert.Describe))}], the server [{string.Join(", ", heads.Select(StateAssert.Describe))}]");
        }
    }

    [Property(MaxTest = Cases / 10, Arbitrary = [typeof(ActionArbitraries)])]
    public void JoinOfStatesTheServerHeldIsCommutativeAssociativeAndIdempotent(Actions actions, int i, int j, int k)
    {
        var run = Run.Play(actions.Codes);
        if (run.Snapshots.Count == 0)
        {
            return;
        }

        var a = run.Snapshots[Math.Abs(i % run.Snapshots.Count)];
        var b = run.Snapshots[Math.Abs(j % run.Snapshots.Count)];
        var c = run.Snapshots[Math.Abs(k % run.Snapshots.Count)];

        SameState(Join(a, b), Join(b, a));
        SameState(Join(Join(a, b), c), Join(a, Join(b, c)));
        Assert.Same(a, LwwMerge.Join(a, a, out var changed));
        Assert.False(changed);
    }

    [Fact]
    public void AnOfflineEditWithTheLowerClockIsKeptBesideTheEditItDidNotSee()
    {
        // Both devices start from v1; the phone, online, writes at 50; the laptop, offline, at 5.
        var v1 = new Write(1, "laptop", "v1");
        var start = LwwMerge.Merge(null, v1, [], out _);
        var phone = new Write(50, "phone", "phone's edit");
        var laptop = new Write(5, "laptop", "laptop's edit");

        var phoneFirst = LwwMerge.Merge(LwwMerge.Merge(start, phone, [VersionId.Of(v1)], out _), laptop, [VersionId.Of(v1)], out var outcome);
        var laptopFirst = LwwMerge.Merge(LwwMerge.Merge(start, laptop, [VersionId.Of(v1)], out _), phone, [VersionId.Of(v1)], out _);

        Assert.Equal(MergeOutcome.Joined, outcome);
        Assert.Equal([phone, laptop], phoneFirst.Writes.ToArray());
        SameState(phoneFirst, laptopFirst);
        Assert.True(phoneFirst.IsConflict);
        Assert.Equal([laptop], phoneFirst.Siblings);
    }

    [Fact]
    public void AWriteThatNamesBothHeadsResolvesTheConflictAndARe_SentHeadStaysReplaced()
    {
        var v1 = new Write(1, "laptop", "v1");
        var phone = new Write(50, "phone", "phone's edit");
        var laptop = new Write(5, "laptop", "laptop's edit");
        var conflict = LwwMerge.Merge(LwwMerge.Merge(LwwMerge.Merge(null, v1, [], out _), phone, [VersionId.Of(v1)], out _), laptop, [VersionId.Of(v1)], out _);
        var resolved = new Write(51, "laptop", "both edits");

        var after = LwwMerge.Merge(conflict, resolved, [VersionId.Of(phone), VersionId.Of(laptop)], out var outcome);
        var resent = LwwMerge.Merge(after, laptop, [VersionId.Of(v1)], out var resentOutcome);

        Assert.Equal(MergeOutcome.Replaced, outcome);
        Assert.Equal([resolved], after.Writes.ToArray());
        Assert.False(after.IsConflict);
        Assert.Equal(MergeOutcome.Ignored, resentOutcome);
        Assert.Same(after, resent);
    }

    [Fact]
    public void AWriteWithoutBaseStillReplacesEverythingBelowItsTimestamp()
    {
        var v1 = new Write(1, "laptop", "v1");
        var laptop = new Write(5, "laptop", "laptop's edit");
        var phone = new Write(50, "phone", "phone's edit");
        var state = LwwMerge.Merge(LwwMerge.Merge(LwwMerge.Merge(null, v1, [], out _), laptop, [VersionId.Of(v1)], out _), phone, [VersionId.Of(v1)], out _);

        var scripted = LwwMerge.Merge(state, new Write(50, "script", "from a script"), out var outcome);
        var late = LwwMerge.Merge(scripted, new Write(49, "script", "late"), out var lateOutcome);

        Assert.Equal(MergeOutcome.Joined, outcome);
        Assert.Equal([new Write(50, "script", "from a script"), phone], scripted.Writes.ToArray());
        Assert.Equal(MergeOutcome.Ignored, lateOutcome);
    }

    private static EntryState Join(EntryState a, EntryState b) => LwwMerge.Join(a, b, out _);

    private static void SameState(EntryState expected, EntryState actual)
    {
        Assert.Equal(expected.Writes.ToArray(), actual.Writes.ToArray());
        Assert.Equal(expected.Replaced, actual.Replaced);
    }

    private static string Describe(VersionId id) => $"{id.Timestamp:D6}/{id.DeviceId}";

    /// <summary>Action codes; <see cref="Run.Play"/> says what each one does.</summary>
    public sealed record Actions(int[] Codes)
    {
        public override string ToString() => $"[{string.Join(", ", Codes)}]";
    }

    public static class ActionArbitraries
    {
        public static Arbitrary<Actions> Actions() => Arb.From(
            from count in Gen.Choose(0, 60)
            from codes in Gen.ArrayOf(Gen.Choose(0, 1_000), count)
            select new Actions(codes));
    }

    private sealed class Device(string name)
    {
        public string Name { get; } = name;

        public long Clock { get; set; }

        public EntryState? Replica { get; set; }

        public Queue<(Write Write, VersionId[] Base)> Outbox { get; } = new();

        public List<(Write Write, VersionId[] Base)> Sent { get; } = [];
    }

    private sealed class Run
    {
        private static readonly string?[] Values = [null, "a", "b", "c"];

        // Every write the server took part in deciding about: based ones always, ones without base unless
        // they lost on arrival (the timestamp rule drops them, and their writer is told, as ever).
        private readonly Dictionary<VersionId, (Write Write, VersionId[]? Base)> _received = [];
        private long _scriptClock;

        public Device[] Devices { get; } = [new("laptop"), new("phone"), new("tablet")];

        public EntryState? Server { get; private set; }

        public List<EntryState> Snapshots { get; } = [];

        /// <summary>
        /// Plays the codes: code % 6 is the action, (code / 6) % 3 the device, code / 18 a parameter.
        /// 0 edit offline from the replica, 1 push the next write of the outbox, 2 re-send a write
        /// pushed before, 3 read a state the server held (maybe long ago), 4 a script writes without
        /// base (its clock its own, or the server's), 5 read the server's state now.
        /// </summary>
        public static Run Play(int[] codes)
        {
            var run = new Run();
            foreach (var code in codes)
            {
                var device = run.Devices[code / 6 % 3];
                var parameter = code / 18;
                switch (code % 6)
                {
                    case 0: Edit(device, Values[parameter % Values.Length]); break;
                    case 1: run.PushNext(device); break;
                    case 2:
                        if (device.Sent.Count > 0)
                        {
                            var (write, @base) = device.Sent[parameter % device.Sent.Count];
                            run.Receive(write, @base);
                        }

                        break;
                    case 3:
                        if (run.Snapshots.Count > 0)
                        {
                            Read(device, run.Snapshots[parameter % run.Snapshots.Count]);
                        }

                        break;
                    case 4: run.Script(Values[parameter % Values.Length], followsServer: parameter % 2 == 0); break;
                    default:
                        if (run.Server is not null)
                        {
                            Read(device, run.Server);
                        }

                        break;
                }
            }

            return run;
        }

        /// <summary>Every device pushes what it has left, then reads the server's final state.</summary>
        public void Finish()
        {
            foreach (var device in Devices)
            {
                while (device.Outbox.Count > 0)
                {
                    PushNext(device);
                }
            }

            foreach (var device in Devices)
            {
                if (Server is not null)
                {
                    Read(device, Server);
                }
            }
        }

        /// <summary>The writes no other received write saw, worked out from the writes alone.</summary>
        public IEnumerable<VersionId> TrueHeads()
        {
            var seen = new HashSet<VersionId>();
            foreach (var (id, _) in _received)
            {
                seen.UnionWith(Past(id).Where(p => p != id && _received.ContainsKey(p)));
            }

            return _received.Keys.Where(id => !seen.Contains(id));
        }

        private IEnumerable<VersionId> Past(VersionId id)
        {
            var (write, @base) = _received[id];
            if (@base is null)
            {
                // A write without base saw, by the timestamp rule, everything below it.
                return _received.Keys.Where(other => other.Timestamp < write.Timestamp);
            }

            var past = new HashSet<VersionId>();
            var todo = new Stack<VersionId>(@base);
            foreach (var own in _received.Keys.Where(o => o.DeviceId == id.DeviceId && o.Timestamp < id.Timestamp))
            {
                todo.Push(own);
            }

            while (todo.Count > 0)
            {
                var next = todo.Pop();
                if (!past.Add(next) || !_received.TryGetValue(next, out var named))
                {
                    continue;
                }

                foreach (var earlier in named.Base ?? _received.Keys.Where(o => o.Timestamp < next.Timestamp))
                {
                    todo.Push(earlier);
                }

                foreach (var own in _received.Keys.Where(o => o.DeviceId == next.DeviceId && o.Timestamp < next.Timestamp))
                {
                    todo.Push(own);
                }
            }

            return past;
        }

        private static void Read(Device device, EntryState state)
        {
            device.Replica = LwwMerge.Join(device.Replica, state, out _);
            device.Clock = Math.Max(device.Clock, state.Timestamp);
        }

        private static void Edit(Device device, string? value)
        {
            device.Clock++;
            var write = new Write(device.Clock, device.Name, value);
            VersionId[] @base = device.Replica is null ? [] : [.. device.Replica.Writes.ToArray().Select(w => VersionId.Of(w))];
            device.Replica = LwwMerge.Merge(device.Replica, write, @base, out _);
            device.Outbox.Enqueue((write, @base));
        }

        private void PushNext(Device device)
        {
            if (device.Outbox.TryDequeue(out var next))
            {
                device.Sent.Add(next);
                Receive(next.Write, next.Base);
            }
        }

        private void Receive(Write write, VersionId[] @base)
        {
            Assert.All(@base, b => Assert.True(b.Timestamp < write.Timestamp, "a base names only what came before"));
            _received.TryAdd(VersionId.Of(write), (write, @base));
            Commit(LwwMerge.Merge(Server, write, @base, out var outcome), outcome);
        }

        private void Script(string? value, bool followsServer)
        {
            _scriptClock = Math.Max(_scriptClock, followsServer ? Server?.Timestamp ?? 0 : 0) + 1;
            var write = new Write(_scriptClock, "script", value);
            var next = LwwMerge.Merge(Server, write, out var outcome);
            if (outcome != MergeOutcome.Ignored)
            {
                _received.TryAdd(VersionId.Of(write), (write, null));
            }

            Commit(next, outcome);
        }

        private void Commit(EntryState next, MergeOutcome outcome)
        {
            Assert.Equal(outcome.Changed(), !ReferenceEquals(next, Server));
            if (outcome.Changed())
            {
                Server = next;
                Snapshots.Add(next);
            }
        }
    }
}
