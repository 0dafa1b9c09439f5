using System.Threading.Channels;
using NoteSync.Shared;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

// The replica: local writes and the server's frames, each stored in one transaction before memory
// follows; refused writes set aside.
public sealed partial class NoteSyncClient
{
    private void WriteLocal(string path, string? value, long? forcedTimestamp) => WriteLocal([new LocalWrite(KeyOf(path), value, forcedTimestamp, null)]);

    private void WriteLocal(IReadOnlyList<LocalWrite> writes)
    {
        if (writes.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var write in writes)
            {
                if (write.ForcedTimestamp is { } f)
                {
                    ArgumentOutOfRangeException.ThrowIfLessThan(f, 1);
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(f, ProtocolLimits.MaxTimestamp);
                }
            }

            // States as they will be after each write, a key written twice seeing its first write.
            var after = new Dictionary<string, EntryState>(StringComparer.Ordinal);
            var stored = new List<(string Key, Write Write, IReadOnlyList<VersionId>? Base, EntryState State)>(writes.Count);
            foreach (var (key, value, forced, editedFrom) in writes)
            {
                var before = after.TryGetValue(key, out var pending) ? pending : _replica.Get(key);
                long timestamp;
                if (forced is { } f)
                {
                    _clock.Observe(f);
                    timestamp = f;
                }
                else
                {
                    // The clock has observed every timestamp applied, so a tick beats the entry (and its conflict),
                    // and every version a caller's base names (a base names only older versions, §4.2).
                    _clock.Observe(before?.Timestamp ?? 0);
                    foreach (var named in editedFrom ?? [])
                    {
                        _clock.Observe(named.Timestamp);
                    }

                    timestamp = _clock.Tick();
                }

                // An edit of every head this replica holds (docs/protocol.md §2.2), unless the caller says what it was
                // edited from: it replaces them and nothing else, so a version written elsewhere that this device has
                // not seen stays beside it as a conflict.
                var write = new Write(timestamp, _config.DeviceId, value);
                var @base = editedFrom ?? WriteBase.Of(before, timestamp);
                var state = @base is null
                    ? LwwMerge.Merge(before, write, out _)
                    : LwwMerge.Merge(before, write, [.. @base], out _);
                after[key] = state;
                stored.Add((key, write, @base, state));
            }

            // Should the store throw, nothing was written; the clock may have moved on, which a Lamport clock allows.
            _store.AddLocalWrites(stored, _clock.Current);
            var hadRefused = _refused.Length > 0;
            if (hadRefused)
            {
                // A refused write of a key written again is gone, replaced by the new one.
                _refused = ReadRefused();
            }

            foreach (var (key, state) in after)
            {
                _replica.Apply(key, state);
            }

            _outboxDepth = hadRefused ? _store.OutboxCount() : _outboxDepth + stored.Count;
            UpdateStatusLocked(_status with { OutboxDepth = _outboxDepth, RefusedWrites = _refused.Length });
        }

        RaisePendingStatus();
        _wake.Release();
    }

    /// <summary>
    /// The key a write of <paramref name="path"/> goes under, which must pass the server's key rule
    /// (docs/protocol.md §1). A path is not normalized here: it is the caller's handle on the note too,
    /// and <see cref="Get"/> with the path as given must find what was written (docs/client.md, "Paths, not keys").
    /// </summary>
    private static string KeyOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var key = ProtocolLimits.KeyPrefix + path;
        if (PushValidator.KeyError(key) is { } error)
        {
            var hint = error == KeyCharacters.NotNormalized ? " (path.Normalize() gives that form)" : "";
            throw new ArgumentException($"the key of path '{PrintableText.Escape(path)}' {error}{hint}", nameof(path));
        }

        return key;
    }

    // Reads take any path: a server keeps serving keys it took before the key rule, and List() names them.
    private static string ReadKeyOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ProtocolLimits.KeyPrefix + path;
    }

    private static NoteVersion ToVersion(Write w) => new(w.Value, w.Timestamp, w.DeviceId);

    /// <summary>
    /// Applies a frame from the server (an answer or a live push) in one transaction; raises its remote
    /// changes. A reset (<c>reset</c> on the frame, or <paramref name="serverBehind"/>: an answer below the
    /// push's <c>last_ack</c> from a server that names no reset) replaces cursor and epoch and starts
    /// recording what the server sends; the first frame without <c>more</c> after that ends the reset and
    /// queues the re-uploads (<see cref="ReuploadPlan"/>) in the same commit. On a reset the outbox is left
    /// as it is, <paramref name="ackedUpToId"/> included: its writes go again under the new history.
    /// </summary>
    private void ApplyFrame(SyncAck ack, long? ackedUpToId, bool serverBehind = false)
    {
        var remote = new List<RemoteChange>();
        List<Channel<RemoteChange>> watchers;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var begins = ack.Reset || serverBehind;
            if (begins)
            {
                ackedUpToId = null;
            }

            // The reset's record as it stands before this frame (a new, empty one when the frame begins it).
            var collecting = begins ? new LwwMap() : _resetSeen;

            // The states after this frame, kept aside: the replica and the reset's record take them only once
            // they are stored, so a failed save leaves memory as the store has it, and the frame comes again.
            var next = new Dictionary<string, EntryState>(StringComparer.Ordinal);
            var seenNext = new Dictionary<string, EntryState>(StringComparer.Ordinal);
            _clock.Observe(ack.AckTimestamp);
            foreach (var change in ack.Changes)
            {
                _clock.Observe(change.Timestamp);
                var sent = EntryState.FromChange(change);
                if (collecting is not null)
                {
                    seenNext[change.Key] = LwwMerge.Join(seenNext.GetValueOrDefault(change.Key) ?? collecting.Get(change.Key), sent, out _);
                }

                var state = LwwMerge.Join(next.GetValueOrDefault(change.Key) ?? _replica.Get(change.Key), sent, out var changed);
                if (changed)
                {
                    next[change.Key] = state;
                    var winner = state.Winner;
                    remote.Add(new RemoteChange(change.Key[ProtocolLimits.KeyPrefix.Length..], winner.Value, winner.Timestamp, winner.DeviceId, state.IsConflict)
                    {
                        LostLocalWrite = LostLocalWrite(change.Key, state),
                    });
                }
            }

            // The cursor never moves back, except on a reset: the reset's cursor is a position in the new
            // history, and the old one (even if higher) means nothing there. A server that names no reset
            // but answers below our cursor is read again from 0.
            var cursor = ack.Reset ? ack.AckTimestamp : serverBehind ? 0 : Math.Max(_cursor, ack.AckTimestamp);
            EpochUpdate? epoch = null;
            if (begins && !string.Equals(ack.Epoch, _epoch, StringComparison.Ordinal))
            {
                epoch = new EpochUpdate(ack.Epoch);
            }
            else if (_epoch is null && ack.Epoch is not null)
            {
                // A store from before epochs, or a space that had none: adopt the server's. A frame naming a
                // different epoch is not adopted outside a reset; our next push sends ours and gets the reset.
                epoch = new EpochUpdate(ack.Epoch);
            }

            ResetStep? step = null;
            var progress = new List<HistoryResetProgress>(2);
            if (collecting is not null)
            {
                var seenCount = collecting.Count + seenNext.Keys.Count(k => collecting.Get(k) is null);
                progress.Add(new HistoryResetProgress(begins ? HistoryResetPhase.Started : HistoryResetPhase.Reading, seenCount, 0, 0));
                if (!ack.More && !serverBehind)
                {
                    var reupload = ReuploadPlan.Compute(Overlay(_replica.Entries, next), Overlay(collecting.Entries, seenNext));
                    step = new ResetStep(begins, [], reupload);
                    progress.Add(new HistoryResetProgress(HistoryResetPhase.Finished, seenCount, reupload.Select(r => r.Key).Distinct(StringComparer.Ordinal).Count(), reupload.Count));
                }
                else
                {
                    step = new ResetStep(begins, [.. seenNext.Select(e => (e.Key, e.Value))], null);
                }
            }

            Hooks.BeforeFrameStored?.Invoke(ack);
            _store.ApplyFrame([.. next.Select(e => (e.Key, e.Value))], _clock.Current, cursor, ackedUpToId, epoch, step);

            // Stored: now memory follows.
            foreach (var (key, state) in next)
            {
                _replica.Apply(key, state);
            }

            if (collecting is not null)
            {
                foreach (var (key, state) in seenNext)
                {
                    collecting.Apply(key, state);
                }
            }

            _resetSeen = step?.Reupload is null ? collecting : null;
            if (step?.Reupload is not null)
            {
                _resetsFinished++;
            }

            foreach (var p in progress)
            {
                _resetProgress.Enqueue((p, ack.Epoch, ack.AckTimestamp));
            }

            _cursor = cursor;
            if (epoch is { } e)
            {
                _epoch = e.Epoch;
            }

            if (ackedUpToId is not null || step?.Reupload is { Count: > 0 })
            {
                _outboxDepth = _store.OutboxCount();
                UpdateStatusLocked(_status with { OutboxDepth = _outboxDepth });
            }

            watchers = [.. _watchers];
        }

        RaisePendingStatus();
        RaiseResetProgress();

        foreach (var change in remote)
        {
            RemoteChanged?.Invoke(this, change);
            foreach (var w in watchers)
            {
                w.Writer.TryWrite(change);
            }
        }
    }

    /// <summary>A copy of <paramref name="entries"/> with <paramref name="changes"/> laid over it.</summary>
    private static Dictionary<string, EntryState> Overlay(IReadOnlyDictionary<string, EntryState> entries, Dictionary<string, EntryState> changes)
    {
        var merged = new Dictionary<string, EntryState>(entries, StringComparer.Ordinal);
        foreach (var (key, state) in changes)
        {
            merged[key] = state;
        }

        return merged;
    }

    /// <summary>Sets a write the server refused for good aside (see <see cref="Refused"/>) and says so; the cursor stays.</summary>
    private RefusedWrite? MarkRefused(OutboxItem item, string code, string reason)
    {
        RefusedWrite? refused;
        lock (_gate)
        {
            if (_disposed)
            {
                return null;
            }

            _store.MarkRefused(item.Id, code, reason);
            _refused = ReadRefused();
            refused = _refused.LastOrDefault(r => r.Timestamp == item.Timestamp && ProtocolLimits.KeyPrefix + r.Path == item.Key);
            UpdateStatusLocked(_status with { RefusedWrites = _refused.Length });
        }

        RaisePendingStatus();
        if (refused is not null)
        {
            WriteRefused?.Invoke(this, refused);
        }

        return refused;
    }

    private RefusedWrite[] ReadRefused() =>
        [.. _store.ReadRefused().Select(r => new RefusedWrite(r.Key.StartsWith(ProtocolLimits.KeyPrefix, StringComparison.Ordinal) ? r.Key[ProtocolLimits.KeyPrefix.Length..] : r.Key, r.Timestamp, r.Code, r.Reason))];

    /// <summary>
    /// This device's newest unacknowledged edit of <paramref name="key"/>, when <paramref name="state"/> holds it no
    /// more and no edit replaced it knowingly: it is not a head (an edit that did not see it is kept beside it as a
    /// conflict instead), no base named it (an edit made on it is an ordinary later edit), and the winner holds
    /// another value. What is left is a write without base that replaced every lower version, ours with them.
    /// Read before the frame's transaction removes acknowledged writes from the outbox, so a write this very
    /// answer acknowledged still counts: it reached the server after the write that beat it.
    /// </summary>
    private NoteVersion? LostLocalWrite(string key, EntryState state)
    {
        if (_store.LatestPendingWrite(key, _config.DeviceId) is not { } pending
            || state.Writes.Contains(pending)
            || state.Replaced.NamedFor(pending.DeviceId) >= pending.Timestamp
            || string.Equals(pending.Value, state.Winner.Value, StringComparison.Ordinal))
        {
            return null;
        }

        return ToVersion(pending);
    }
}
