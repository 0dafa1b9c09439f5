using Microsoft.Data.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Stores.Sqlite;

// One push merged inside the writer's group transaction (SqliteSyncStore.Writer.cs): run on the
// writer task alone, like the clocks it caches, so none of it needs locks.
internal sealed partial class SqliteSyncStore
{
    // Each space's committed clock, loaded on first use; the writer is the only writer, so it stays true.
    private readonly Dictionary<string, long> _clocks = new(StringComparer.Ordinal);

    private ApplyResult ApplyOne(
        SqliteTransaction transaction,
        string space,
        KeyedWrite[] writes,
        Dictionary<string, long> groupClocks,
        Dictionary<(string Space, string Key), EntryState?> groupStates)
    {
        var previous = groupClocks.TryGetValue(space, out var groupClock) ? groupClock : CommittedClock(transaction, space);
        var clock = previous;
        for (var i = 0; i < writes.Length; i++)
        {
            // Against the clock before the push, so one push moves the clock by at most the lead plus its
            // length, and no client can carry a space's clock to 2^53-1 in a few pushes.
            if (writes[i].Write.Timestamp - previous > _maxClockLead)
            {
                throw new ClockLeadException(i, previous, _maxClockLead);
            }
        }

        Dictionary<string, StoredEntry>? changed = null;

        // Each changed key's state before the push: history takes the texts of replaced heads from it.
        var statesBefore = new Dictionary<string, EntryState?>(StringComparer.Ordinal);
        Dictionary<string, KeyState>? superseded = null;
        var taken = new List<TakenVersion>();

        // How the push moves the space's usage: less each changed key's state before the push, plus
        // its final one.
        var usage = default(SpaceUsage);

        for (var i = 0; i < writes.Length; i++)
        {
            var (key, write, @base) = writes[i];
            StoredEntry? mine = null;
            var changedBefore = changed is not null && changed.TryGetValue(key, out mine);
            var current = changedBefore ? mine!.State : LoadState(transaction, groupStates, space, key);
            var next = writes[i].MergeInto(current, out var outcome);
            if (outcome == MergeOutcome.Joined && _noteLimits.Check(i, next) is { } refused)
            {
                throw refused;
            }

            if (!outcome.Changed())
            {
                if (!next.IsExactly(write))
                {
                    (superseded ??= new Dictionary<string, KeyState>(StringComparer.Ordinal))[key] = new KeyState(key, next);
                }

                continue;
            }

            if (clock >= ProtocolLimits.MaxTimestamp)
            {
                // seq must stay a JavaScript-safe integer (docs/protocol.md §1), and it must exceed C.
                throw new InvalidOperationException($"the clock of space '{space}' reached 2^53-1; no further change can be given a seq");
            }

            clock = Math.Max(clock + 1, write.Timestamp);
            if (!changedBefore)
            {
                usage -= SpaceQuotas.UsageOf(key, current);
                statesBefore[key] = current;
            }

            changed ??= new Dictionary<string, StoredEntry>(StringComparer.Ordinal);
            changed[key] = new StoredEntry(key, clock, next);
            taken.Add(new TakenVersion(key, write, @base));
        }

        if (changed is null)
        {
            return new ApplyResult(previous, previous, [], superseded is null ? [] : [.. superseded.Values]) { Epoch = Epoch };
        }

        // A key changed twice in one push is stored once, with its final state and seq.
        var entries = changed.Values.ToArray();
        foreach (var entry in entries)
        {
            usage += SpaceQuotas.UsageOf(entry.Key, entry.State);
        }

        if (usage.Notes > 0 || usage.Bytes > 0)
        {
            var before = _writer.SelectUsage(transaction, space);
            if (_quotas.Check(before, before + usage) is { } overQuota)
            {
                throw overQuota;
            }
        }

        Array.Sort(entries, static (a, b) => a.Seq.CompareTo(b.Seq));
        foreach (var entry in entries)
        {
            _writer.UpsertEntry(transaction, space, entry);
        }

        _writer.UpsertSpace(transaction, space, clock, usage);
        RecordHistory(transaction, space, taken, changed, entries, statesBefore);
        // A key superseded early in the push but changed later in it is reported by its change alone.
        return new ApplyResult(previous, clock, entries, superseded is null ? [] : [.. superseded.Values.Where(s => !changed.ContainsKey(s.Key))]) { Epoch = Epoch };
    }

    private long CommittedClock(SqliteTransaction transaction, string space)
    {
        if (!_clocks.TryGetValue(space, out var clock))
        {
            // Read before this group wrote anything to the space, so it is the committed value.
            clock = _writer.SelectClock(transaction, space);
            _clocks[space] = clock;
        }

        return clock;
    }

    private EntryState? LoadState(SqliteTransaction transaction, Dictionary<(string Space, string Key), EntryState?> groupStates, string space, string key)
    {
        if (!groupStates.TryGetValue((space, key), out var state))
        {
            state = _writer.SelectEntry(transaction, space, key);
            groupStates[(space, key)] = state;
        }

        return state;
    }
}
