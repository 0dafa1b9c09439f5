using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Sqlite;

// The writer loop: the only code that writes the database, run on one task. Everything below is
// touched by that task alone, so none of it needs locks.
internal sealed partial class SqliteSyncStore
{
    private const string RequestSavepoint = "request";

    // How often the writer checks for room while the disk is full, whether or not pushes arrive.
    private static readonly TimeSpan RoomProbeInterval = TimeSpan.FromSeconds(1);

    private readonly WriterStatements _writer;

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
        // A wall clock stepped back must not make a later version look older than an earlier one.
        _groupCommittedAt = Math.Max(_groupCommittedAt, _time.GetUtcNow().ToUnixTimeMilliseconds());
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
                    var result = ApplyOne(transaction, request.Space, request.Writes, groupClocks, groupStates);
                    Remember(request.Space, result, groupClocks, groupStates);
                    if (MergesConcurrentEdits && result.Changed.Count > 0)
                    {
                        result = MergeInCommit(transaction, request, result, groupClocks, groupStates);
                    }

                    transaction.Release(RequestSavepoint);
                    results[i] = result;
                    changes += result.Changed.Count;
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

    // What a request did, on top of the committed state, for the group's later requests (and its own merge).
    private static void Remember(string space, ApplyResult result, Dictionary<string, long> groupClocks, Dictionary<(string Space, string Key), EntryState?> groupStates)
    {
        if (result.Changed.Count == 0)
        {
            return;
        }

        groupClocks[space] = result.Cursor;
        foreach (var entry in result.Changed)
        {
            groupStates[(space, entry.Key)] = entry.State;
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
}
