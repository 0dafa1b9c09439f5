using System.Diagnostics;
using Microsoft.Extensions.Options;
using NoteSync.Server.Fanout;
using NoteSync.Server.Limits;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// The one place a push goes through, whatever its transport: validate, merge and store durably,
/// ring the space's doorbell, and answer with everything the device has not seen. Live pushes are
/// read from the log too (<see cref="GetLiveFrameAsync"/>), never taken from the doorbell.
/// </summary>
internal sealed partial class SyncService(
    ISyncStore store,
    RecentChanges recent,
    IDoorbell<LiveFrame> doorbell,
    IOptions<NoteSyncOptions> options,
    NoteSyncMetrics metrics,
    PullBudget pulls,
    ILogger<SyncService> logger,
    SpaceReadGate? reads = null) : ISessionSync
{
    // Tests that build the service by hand pass none; the container passes the node's one.
    private readonly SpaceReadGate _reads = reads ?? new SpaceReadGate(options);

    private readonly SyncOptions _sync = options.Value.Sync;

    private readonly long _pageBytes = Math.Min(options.Value.Sync.PageBytes, options.Value.Sync.MaxAckBytes);

    private readonly Options.HistoryOptions _history = options.Value.History;

    private readonly int _maxHeadsPerNote = options.Value.Limits.MaxWritesPerNote;

    // Several nodes share the store: commits of other nodes are learnt from the doorbell, which may lag or lose them.
    private readonly bool _sharedStore = options.Value.Store == StoreKinds.Redis;

    /// <summary>
    /// Makes <paramref name="listener"/> hear every commit of <paramref name="space"/> and keeps the
    /// space's recent changes in memory while it listens. Disposing the result ends both.
    /// </summary>
    public IDisposable Listen(string space, ISpaceListener<LiveFrame> listener)
    {
        var window = recent.Retain(space);
        var subscription = doorbell.Listen(space, listener);
        return new Both(subscription, window);
    }

    /// <summary>The server's instruments, for the sessions that deliver this service's frames.</summary>
    public NoteSyncMetrics Metrics => metrics;

    /// <summary>The limits pushes are checked against.</summary>
    public ProtocolLimits Limits { get; } = options.Value.Limits.ToProtocolLimits();

    /// <summary>Validates, applies and answers one push from <paramref name="deviceId"/> in <paramref name="space"/>.</summary>
    public async Task<PushResult> PushAsync(string space, string deviceId, SyncPush push, CancellationToken cancellationToken = default)
    {
        var applied = await ApplyAsync(space, deviceId, push, cancellationToken).ConfigureAwait(false);
        return await AnswerAsync(space, deviceId, push, applied, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Validates a push and merges it into the store, durably. The store write is queued before this
    /// method first yields, so pushes from one connection reach the store in the order it calls this.
    /// </summary>
    public async Task<AppliedPush> ApplyAsync(string space, string deviceId, SyncPush push, CancellationToken cancellationToken = default)
    {
        if (PushValidator.Validate(push, deviceId, Limits) is { } invalid)
        {
            Log.PushRefused(logger, space, deviceId, invalid.Code, invalid.Message);
            return AppliedPush.Refused(invalid.ToFrame(push.RequestId));
        }

        // A space that has been sent more than its budget waits, whatever the push: a write would be
        // sent on to every live device of the space, the cost that put it in debt (docs/protocol.md §4.9).
        if (pulls.IsSpent(space, out var retryAfterMs))
        {
            var limited = ProtocolError.RateLimited(
                push.Changes.Count == 0
                    ? $"{PullSpentMessage}; retry after {retryAfterMs} ms"
                    : $"{PushSpentMessage}; retry after {retryAfterMs} ms",
                retryAfterMs,
                push.RequestId);
            Log.PushRefused(logger, space, deviceId, limited.Code, limited.Message);
            return AppliedPush.Refused(limited);
        }

        if (push.Changes.Count == 0)
        {
            return AppliedPush.Pull;
        }

        var sent = new Dictionary<string, Write>(push.Changes.Count, StringComparer.Ordinal);
        var writes = new KeyedWrite[push.Changes.Count];
        for (var i = 0; i < writes.Length; i++)
        {
            var c = push.Changes[i];
            var write = new Write(c.Timestamp, deviceId, c.Value);
            writes[i] = new KeyedWrite(c.Key, write, c.Base is { } b ? [.. b.Select(v => new VersionId(v.Timestamp, v.DeviceId))] : null);
            sent[c.Key] = write;
        }

        try
        {
            var applied = await CommitAsync(space, writes, cancellationToken).ConfigureAwait(false);
            if (applied.Changed.Count == 0 && _sharedStore && applied.Superseded.Count < push.Changes.Count)
            {
                // A re-send of writes already in: their first push may have gone in unconfirmed by the
                // replicas, and such a push rings no doorbell. Now that it is confirmed, devices must hear.
                doorbell.Ring(space, applied.Cursor, null);
            }

            if (applied.Changed.Count > 0 && _sync.AutoMerge && !store.MergesConcurrentEdits)
            {
                await MergeConcurrentEditsAsync(space, applied, writes, cancellationToken).ConfigureAwait(false);
            }

            return new AppliedPush(null, sent, applied.Superseded) { Committed = applied.Changed.Count > 0 };
        }
        catch (ClockLeadException ex)
        {
            Log.PushRefused(logger, space, deviceId, ErrorCodes.BadRequest, ex.Message);
            return AppliedPush.Refused(new ErrorFrame { Code = ErrorCodes.BadRequest, Message = ex.Message, RequestId = push.RequestId });
        }
        catch (NoteLimitException ex)
        {
            Log.PushRefused(logger, space, deviceId, ErrorCodes.TooLarge, ex.Message);
            return AppliedPush.Refused(new ErrorFrame { Code = ErrorCodes.TooLarge, Message = ex.Message, RequestId = push.RequestId });
        }
        catch (QuotaExceededException ex)
        {
            Log.PushRefused(logger, space, deviceId, ErrorCodes.QuotaExceeded, ex.Message);
            return AppliedPush.Refused(new ErrorFrame { Code = ErrorCodes.QuotaExceeded, Message = ex.Message, RequestId = push.RequestId });
        }
        catch (StorageFullException)
        {
            // The store logs the full disk once per episode; one error line per refused push would bury it.
            Log.PushRefused(logger, space, deviceId, ErrorCodes.Unavailable, StorageFullMessage);
            return AppliedPush.Refused(new ErrorFrame { Code = ErrorCodes.Unavailable, Message = StorageFullMessage, RequestId = push.RequestId });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.StoreFailed(logger, space, deviceId, ex);
            return AppliedPush.Refused(StoreError(ex, push.RequestId));
        }
    }

    /// <summary>
    /// Merges <paramref name="writes"/> into the store, durably, and tells the space: the recent changes, the
    /// live frame built once for every device at the previous cursor, the doorbell. Store refusals throw.
    /// </summary>
    private async Task<ApplyResult> CommitAsync(string space, IReadOnlyList<KeyedWrite> writes, CancellationToken cancellationToken)
    {
        // Timed here rather than in each store, so both stores report the same thing.
        var started = Stopwatch.GetTimestamp();
        var applied = await store.ApplyAsync(space, writes, cancellationToken).ConfigureAwait(false);
        var committedAt = Stopwatch.GetTimestamp();
        metrics.Committed(started, committedAt);
        if (applied.Changed.Count > 0)
        {
            metrics.Merged(applied.Changed.Count, CountConflicts(applied.Changed));
            if (applied.AutoMerged > 0)
            {
                metrics.AutoMerged(applied.AutoMerged);
            }

            recent.OnApplied(space, applied);

            // The commit is exactly the live push for every device at its previous cursor: build
            // it once here, and devices there send it as it is (serialized once, on first send).
            // A commit larger than one page is left to the pumps, which page it.
            LiveFrame? frame = null;
            if (FitsOnePage(applied.Changed))
            {
                var changes = ToChanges(applied.Changed, null, [], out var bytes);
                frame = new LiveFrame(applied.PreviousCursor, applied.Cursor, false, OutboundFrame.Live(new SyncAck
                {
                    AckTimestamp = applied.Cursor,
                    Changes = changes,
                    Epoch = applied.Epoch,
                }, committedAt))
                { Bytes = bytes };
                recent.RememberLiveFrame(space, frame);
            }

            doorbell.Ring(space, applied.Cursor, frame);
        }

        return applied;
    }

    /// <summary>Builds the answer to an applied push: every change since its <c>last_ack</c> that the device does not hold.</summary>
    /// <param name="space">The device's space.</param>
    /// <param name="deviceId">The device.</param>
    /// <param name="push">The push.</param>
    /// <param name="applied">What its store write did.</param>
    /// <param name="liveSince">
    /// The cursor from which the connection is sent every change live (its first whole answer), or -1
    /// without one (before that answer, and over HTTP): changes after it reach the device anyway.
    /// </param>
    /// <param name="sentCursor">
    /// The highest <c>ack_timestamp</c> already queued on the connection, or -1. The device applies
    /// every frame (docs/protocol.md §8), so from its live start on it holds everything up to there.
    /// </param>
    /// <param name="cancellationToken">Ends the wait for the store.</param>
    public async Task<PushResult> AnswerAsync(string space, string deviceId, SyncPush push, AppliedPush applied, long liveSince = -1, long sentCursor = -1, CancellationToken cancellationToken = default)
    {
        if (applied.Error is { } refused)
        {
            CountFailed(refused);
            return PushResult.Failed(refused);
        }

        try
        {
            // The winners of lost writes ride along, so the page leaves room for them. A space that has
            // been sent its budget gets one change and `more`: its writes went in, its reads wait. A
            // write's answer that only repeats what its connection is sent live anyway is not cut.
            var lastAck = push.LastAck ?? 0;
            var caughtUp = liveSince >= 0 && lastAck >= liveSince;
            var live = applied.Sent is not null && caughtUp;

            // Pipelined pushes carry the last_ack their device had when it sent them, so under load
            // each answer would repeat what the ones before it (and live pushes) carried, and their
            // overlaps grow with the backlog: the answer starts where the connection's frames end.
            var from = caughtUp ? Math.Max(lastAck, sentCursor) : lastAck;
            var room = Math.Max(1, _sync.MaxChangesPerAck - applied.Superseded.Count);
            var storeRoom = pulls.IsSpent(space, out _) && !live ? 1 : room;
            if (_sharedStore && !applied.Committed && recent.IsRetained(space))
            {
                // The in-memory window knows this node's commits; one read of the clock keeps it from
                // answering a pull without a commit another node acknowledged before this pull came in.
                recent.OnHeard(space, await store.GetCursorAsync(space, cancellationToken).ConfigureAwait(false));
            }

            var page = await ReadAsync(space, from, room, storeRoom, cancellationToken).ConfigureAwait(false);

            // The device's cursor names a history the space no longer has (a restore, a lossy failover):
            // from there it would skip what was written since. It gets the whole space from 0 instead.
            var reset = (push.Epoch is not null && push.Epoch != page.Epoch) || (!page.More && lastAck > page.Cursor);
            if (reset)
            {
                Log.Reset(logger, space, deviceId, lastAck, push.Epoch, page.Cursor, page.Epoch);
                metrics.Reset();
                page = await ReadAsync(space, 0, room, storeRoom, cancellationToken).ConfigureAwait(false);
            }

            (page, var outgoing, var outgoingBytes) = await ReadPastOwnWritesAsync(space, page, applied.Sent, room, storeRoom, cancellationToken).ConfigureAwait(false);

            // The winners fill what the page's outgoing entries left of the answer's bounds, in changes and bytes.
            var winners = WinnersWithin(applied.Superseded, _sync.MaxChangesPerAck - outgoing, _sync.MaxAckBytes - outgoingBytes);
            var changes = ToChanges(page.Entries, applied.Sent, winners, out var bytes);

            // A write's answer from after the connection's live start carries changes that live pushes
            // carry to it as well (and are charged for, once per device): charging the answer too
            // would make a busy writer pay twice, and be refused for its own acknowledgements;
            // pipelined writes, whose answers overlap, would pay again for each. A pull, and a write's
            // answer reaching back before that (catch-up, or over HTTP, which has no live pushes), is charged.
            if (!live || reset)
            {
                pulls.Served(space, bytes);
            }

            metrics.PushAcked();
            return PushResult.Acked(new SyncAck
            {
                AckTimestamp = page.Cursor,
                Changes = changes,
                RequestId = push.RequestId,
                More = page.More,
                Epoch = page.Epoch,
                Reset = reset,
            });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The writes (if any) are durable; the device re-sends the push, which is harmless (docs/protocol.md §4).
            Log.StoreFailed(logger, space, deviceId, ex);
            var error = StoreError(ex, push.RequestId);
            CountFailed(error);
            return PushResult.Failed(error);
        }
    }

    private void CountFailed(ErrorFrame error)
    {
        if (error.Code == ErrorCodes.Unavailable)
        {
            metrics.PushUnavailable();
        }
        else
        {
            metrics.PushRefused();
        }
    }

    private static int CountConflicts(IReadOnlyList<StoredEntry> changed)
    {
        var conflicts = 0;
        for (var i = 0; i < changed.Count; i++)
        {
            if (changed[i].State.IsConflict)
            {
                conflicts++;
            }
        }

        return conflicts;
    }

    /// <summary>The answer to a push the store refused for want of disk space (docs/protocol.md, error messages).</summary>
    public const string StorageFullMessage = "the server's storage is full; retry later";

    // An InvalidOperationException from the store is a refused change (the clock at 2^53-1), except
    // ObjectDisposedException, which is a store shutting down: the device should retry elsewhere or later.
    private static ErrorFrame StoreError(Exception ex, string? requestId) => ex is InvalidOperationException and not ObjectDisposedException
        ? new ErrorFrame { Code = ErrorCodes.Internal, Message = "the server could not apply this push", RequestId = requestId }
        : new ErrorFrame { Code = ErrorCodes.Unavailable, Message = "the store is unavailable; retry later", RequestId = requestId };

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
