using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Stores.Sqlite;

// The writer loop: the only code that writes the database, run on one task. Everything below is
// touched by that task alone, so none of it needs locks.
internal sealed partial class SqliteSyncStore
{
    private const string RequestSavepoint = "request";

    // How often the writer checks for room while the disk is full, whether or not pushes arrive.
    private static readonly TimeSpan RoomProbeInterval = TimeSpan.FromSeconds(1);

    private readonly WriterStatements _writer;

    // Each space's committed clock, loaded on first use; the writer is the only writer, so it stays true.
    private readonly Dictionary<string, long> _clocks = new(StringComparer.Ordinal);
    private readonly DiskFullEpisode _diskFull = new();
    private long _committedGroups;
    private long _lastRoomProbe;

    private async Task RunWriterAsync()
    {
        var reader = _requests.Reader;
        var group = new List<ApplyRequest>(MaxGroupSize);

        // Ends once the channel is completed (DisposeAsync) and every queued request has been run.
        while (true)
        {
            if (_diskFull.IsFull)
            {
                ProbeRoomIfDue();
            }

            var ready = await WaitForRequestsAsync(reader).ConfigureAwait(false);
            if (ready is null)
            {
                continue;
            }

            if (ready == false)
            {
                break;
            }

            group.Clear();
            while (group.Count < MaxGroupSize && reader.TryRead(out var request))
            {
                // A request its caller cancelled while queued is dropped here, never run.
                if (request.TryTake())
                {
                    group.Add(request);
                }
            }

            if (group.Count == 0)
            {
                continue;
            }

            try
            {
                CommitGroup(group);
            }
            catch (Exception ex)
            {
                // A bug past the commit must not kill the loop: every later push would wait forever.
                Log.GroupFailed(_logger, group.Count, ex);
                foreach (var request in group)
                {
                    request.Fail(ex);
                }
            }
        }

        Log.WriterStopped(_logger);
    }

    /// <summary>
    /// True when requests wait, false when the channel is completed and drained, null when a room probe
    /// is due. While the disk is full the writer wakes at least once per probe interval: a node whose
    /// <c>/healthz</c> says 503 gets no pushes from a load balancer, so no push would tell it that room came back.
    /// </summary>
    private async ValueTask<bool?> WaitForRequestsAsync(ChannelReader<ApplyRequest> reader)
    {
        if (!_diskFull.IsFull)
        {
            return await reader.WaitToReadAsync().ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(RoomProbeInterval);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private void ProbeRoomIfDue()
    {
        if (Stopwatch.GetElapsedTime(_lastRoomProbe) < RoomProbeInterval)
        {
            return;
        }

        _lastRoomProbe = Stopwatch.GetTimestamp();
        if (DiskRoomProbe.HasRoom(_dataDirectory, out var failure))
        {
            if (_diskFull.End() is var (lasted, refused))
            {
                Log.DiskHasRoom(_logger, _dataDirectory, lasted.TotalSeconds, refused);
            }
        }
        else
        {
            Log.DiskStillFull(_logger, _dataDirectory, failure);
        }
    }

    /// <summary>
    /// Runs <paramref name="group"/> in one transaction, each request inside its own savepoint so a
    /// failing one is rolled back alone, commits once, and only then completes the tasks, in order.
    /// A full disk fails the whole group: nothing more of it could be written, and SQLite may already
    /// have rolled the whole transaction back.
    /// </summary>
    private void CommitGroup(List<ApplyRequest> group)
    {
        var started = Stopwatch.GetTimestamp();
        var results = new ApplyResult?[group.Count];
        var failures = new Exception?[group.Count];

        // What the group has done so far, on top of the committed state; dropped if the group fails.
        // (_clocks needs no undo: CommittedClock fills it only with values read before the group wrote the space.)
        var groupClocks = new Dictionary<string, long>(StringComparer.Ordinal);
        var groupStates = new Dictionary<(string Space, string Key), EntryState?>();
        var changes = 0;
        SqliteTransaction? transaction = null;
        try
        {
            transaction = _writeConnection.BeginTransaction(deferred: false);
            for (var i = 0; i < group.Count; i++)
            {
                var request = group[i];
                transaction.Save(RequestSavepoint);
                try
                {
                    var result = ApplyOne(transaction, request, groupClocks, groupStates);
                    transaction.Release(RequestSavepoint);
                    results[i] = result;
                    changes += result.Changed.Count;
                    if (result.Changed.Count > 0)
                    {
                        groupClocks[request.Space] = result.Cursor;
                        foreach (var entry in result.Changed)
                        {
                            groupStates[(request.Space, entry.Key)] = entry.State;
                        }
                    }
                }
                catch (Exception ex) when (!IsDiskFull(ex))
                {
                    // Undo this request only; a failure of the rollback itself fails the whole group below.
                    transaction.Rollback(RequestSavepoint);
                    transaction.Release(RequestSavepoint);
                    failures[i] = ex;
                    if (ex is not (ClockLeadException or NoteLimitException or QuotaExceededException))
                    {
                        // A refused push is the device's error, logged by the sync service; this is the store's.
                        Log.ApplyFailed(_logger, request.Space, request.Writes.Length, ex);
                    }
                }
            }

            transaction.Commit();
        }
        catch (Exception ex)
        {
            // Nothing of the group is on disk, so every request of it fails.
            AbandonTransaction(transaction);
            FailGroup(group, ex);
            return;
        }

        transaction.Dispose();
        foreach (var (space, clock) in groupClocks)
        {
            _clocks[space] = clock;
        }

        Interlocked.Increment(ref _committedGroups);
        Log.GroupCommitted(_logger, group.Count, changes, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        for (var i = 0; i < group.Count; i++)
        {
            if (results[i] is { } result)
            {
                group[i].Complete(result);
            }
            else
            {
                group[i].Fail(failures[i]!);
            }
        }
    }

    /// <summary>
    /// Leaves the writer connection outside any transaction after a failed group, whatever state the
    /// failure left: SQLite rolls a transaction back by itself on some errors (SQLITE_FULL among them),
    /// after which ROLLBACK fails; on others it stays open. A transaction left open would make every
    /// later BEGIN fail, and the store would refuse every push until restarted.
    /// </summary>
    private void AbandonTransaction(SqliteTransaction? transaction)
    {
        try
        {
            transaction?.Dispose();
        }
        catch (SqliteException ex)
        {
            Log.RollbackFailed(_logger, ex);
        }

        if (raw.sqlite3_get_autocommit(_writeConnection.Handle) != 0)
        {
            return;
        }

        try
        {
            using var rollback = _writeConnection.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            // Nothing more to try here; the next group's BEGIN reports it again if it lasts.
            Log.TransactionLeftOpen(_logger, ex);
        }
    }

    private void FailGroup(List<ApplyRequest> group, Exception ex)
    {
        if (!IsDiskFull(ex))
        {
            Log.GroupFailed(_logger, group.Count, ex);
            foreach (var request in group)
            {
                request.Fail(ex);
            }

            return;
        }

        // Once per episode at error level; every push it refuses is answered, and counted at its end.
        if (_diskFull.Refused(group.Count))
        {
            _lastRoomProbe = Stopwatch.GetTimestamp();
            Log.DiskFull(_logger, _dataDirectory, ex);
        }
        else
        {
            Log.DiskFullRefused(_logger, group.Count, ex);
        }

        foreach (var request in group)
        {
            request.Fail(new StorageFullException(ex));
        }
    }

    // SQLITE_FULL: SQLite's answer to ENOSPC on any of its files (the WAL, the database at a checkpoint,
    // a spilled page), and to max_page_count, which this store does not set.
    private static bool IsDiskFull(Exception ex) => ex is SqliteException { SqliteErrorCode: raw.SQLITE_FULL };

    private ApplyResult ApplyOne(
        SqliteTransaction transaction,
        ApplyRequest request,
        Dictionary<string, long> groupClocks,
        Dictionary<(string Space, string Key), EntryState?> groupStates)
    {
        var space = request.Space;
        var previous = groupClocks.TryGetValue(space, out var groupClock) ? groupClock : CommittedClock(transaction, space);
        var clock = previous;
        for (var i = 0; i < request.Writes.Length; i++)
        {
            // Against the clock before the push, so one push moves the clock by at most the lead plus its
            // length, and no client can carry a space's clock to 2^53-1 in a few pushes.
            if (request.Writes[i].Write.Timestamp - previous > _maxClockLead)
            {
                throw new ClockLeadException(i, previous, _maxClockLead);
            }
        }

        Dictionary<string, StoredEntry>? changed = null;
        Dictionary<string, KeyState>? superseded = null;

        // How the push moves the space's usage: less each changed key's state before the push, plus
        // its final one.
        var usage = default(SpaceUsage);

        for (var i = 0; i < request.Writes.Length; i++)
        {
            var (key, write) = request.Writes[i];
            StoredEntry? mine = null;
            var changedBefore = changed is not null && changed.TryGetValue(key, out mine);
            var current = changedBefore ? mine!.State : LoadState(transaction, groupStates, space, key);
            var next = LwwMerge.Merge(current, write, out var outcome);
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
            }

            changed ??= new Dictionary<string, StoredEntry>(StringComparer.Ordinal);
            changed[key] = new StoredEntry(key, clock, next);
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

    /// <summary>The writer's prepared statements, reused for every group.</summary>
    private sealed class WriterStatements : IDisposable
    {
        private readonly SqliteCommand _selectEntry;
        private readonly SqliteCommand _upsertEntry;
        private readonly SqliteCommand _selectClock;
        private readonly SqliteCommand _selectUsage;
        private readonly SqliteCommand _upsertSpace;

        public WriterStatements(SqliteConnection connection)
        {
            _selectEntry = Create(connection, "SELECT timestamp, device_id, value, others FROM entries WHERE space = $space AND key = $key", "$space", "$key");
            _upsertEntry = Create(
                connection,
                """
                INSERT INTO entries (space, key, seq, timestamp, device_id, value, others)
                VALUES ($space, $key, $seq, $timestamp, $device_id, $value, $others)
                ON CONFLICT (space, key) DO UPDATE SET
                    seq = excluded.seq, timestamp = excluded.timestamp, device_id = excluded.device_id,
                    value = excluded.value, others = excluded.others
                """,
                "$space", "$key", "$seq", "$timestamp", "$device_id", "$value", "$others");
            _selectClock = Create(connection, "SELECT clock FROM spaces WHERE space = $space", "$space");
            _selectUsage = Create(connection, "SELECT notes, bytes FROM spaces WHERE space = $space", "$space");

            // The usage columns move by the push's change; a new space's row starts from nothing.
            _upsertSpace = Create(
                connection,
                """
                INSERT INTO spaces (space, clock, notes, bytes) VALUES ($space, $clock, $notes, $bytes)
                ON CONFLICT (space) DO UPDATE SET
                    clock = excluded.clock, notes = notes + excluded.notes, bytes = bytes + excluded.bytes
                """,
                "$space", "$clock", "$notes", "$bytes");
        }

        public EntryState? SelectEntry(SqliteTransaction transaction, string space, string key)
        {
            _selectEntry.Transaction = transaction;
            _selectEntry.Parameters[0].Value = space;
            _selectEntry.Parameters[1].Value = key;
            using var reader = _selectEntry.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            return WriteSetCodec.Decode(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3));
        }

        public void UpsertEntry(SqliteTransaction transaction, string space, StoredEntry entry)
        {
            var winner = entry.State.Winner;
            _upsertEntry.Transaction = transaction;
            _upsertEntry.Parameters[0].Value = space;
            _upsertEntry.Parameters[1].Value = entry.Key;
            _upsertEntry.Parameters[2].Value = entry.Seq;
            _upsertEntry.Parameters[3].Value = winner.Timestamp;
            _upsertEntry.Parameters[4].Value = winner.DeviceId;
            _upsertEntry.Parameters[5].Value = (object?)winner.Value ?? DBNull.Value;
            _upsertEntry.Parameters[6].Value = (object?)WriteSetCodec.Encode(entry.State) ?? DBNull.Value;
            _upsertEntry.ExecuteNonQuery();
        }

        public long SelectClock(SqliteTransaction transaction, string space)
        {
            _selectClock.Transaction = transaction;
            _selectClock.Parameters[0].Value = space;
            return _selectClock.ExecuteScalar() is long clock ? clock : 0;
        }

        /// <summary>The space's usage as committed, moved by what this group has done to it so far.</summary>
        public SpaceUsage SelectUsage(SqliteTransaction transaction, string space)
        {
            _selectUsage.Transaction = transaction;
            _selectUsage.Parameters[0].Value = space;
            using var reader = _selectUsage.ExecuteReader();
            return reader.Read() ? new SpaceUsage(reader.GetInt64(0), reader.GetInt64(1)) : default;
        }

        /// <summary>Sets the space's clock and moves its usage by <paramref name="change"/>.</summary>
        public void UpsertSpace(SqliteTransaction transaction, string space, long clock, SpaceUsage change)
        {
            _upsertSpace.Transaction = transaction;
            _upsertSpace.Parameters[0].Value = space;
            _upsertSpace.Parameters[1].Value = clock;
            _upsertSpace.Parameters[2].Value = change.Notes;
            _upsertSpace.Parameters[3].Value = change.Bytes;
            _upsertSpace.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _selectEntry.Dispose();
            _upsertEntry.Dispose();
            _selectClock.Dispose();
            _selectUsage.Dispose();
            _upsertSpace.Dispose();
        }

        private static SqliteCommand Create(SqliteConnection connection, string sql, params string[] parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            return command;
        }
    }
}
