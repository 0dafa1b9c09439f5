using Microsoft.Data.Sqlite;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

// One sync round over a transport: the outbox out in sized batches, the changes in, the waiters told.
public sealed partial class NoteSyncClient
{
    /// <summary>A floor under the server's retry-after, so a zero never becomes a hot loop.</summary>
    private static readonly TimeSpan MinRateLimitWait = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Pushes the outbox in id order, one batch per push, then pulls every page. A batch is bounded by
    /// count and by bytes (<see cref="PushSizer"/>). A batch the server refuses for good is halved until
    /// the one refused write is found, which is set aside (<see cref="Refused"/>) while the rest goes. A
    /// waiter registered before this round started is done when it ends: every write queued before the
    /// waiter was in it, acknowledged or refused. A reset during the round keeps it going until the
    /// re-uploads it queued are pushed, so a waiter is not told "synced" while the server still lacks
    /// what the device holds.
    /// </summary>
    private async Task SyncRoundAsync(ISyncTransport transport, bool fellBack, CancellationToken cancellationToken)
    {
        long round;
        lock (_gate)
        {
            round = ++_roundsStarted;
        }

        // A refusal for want of room stays on show while the outbox is sent again.
        SetStatus(ConnectionState.Syncing, transport.Kind, fellBack, Status is { State: ConnectionState.QuotaExceeded } refused ? refused.LastError : null);
        _sizer.EndIsolation();
        while (true)
        {
            List<OutboxItem> batch;
            bool more;
            long bytes;
            long lastAck;
            string? epoch;
            long resetsFinished;
            lock (_gate)
            {
                (batch, more, bytes) = _store.ReadOutbox(_sizer.CountLimit(), _sizer.ByteLimit(), _sizer.ChangeBytes);
                lastAck = _cursor;
                epoch = _epoch;
                resetsFinished = _resetsFinished;
            }

            if (_sizer.MustLearnLimitsFirst(bytes))
            {
                // The first answer of a connection tells the limits: a pull learns them, then what fits goes.
                ApplyFrame(await PushAsync(transport, Pull(lastAck, epoch), 0, cancellationToken).ConfigureAwait(false), null);
                _sizer.LearnedOrNone();
                continue;
            }

            if (batch.Count == 1 && _sizer.OverMessageLimit(bytes, out var maxMessageBytes))
            {
                var reason = $"the write is {bytes:N0} bytes as JSON, more than the server's max_message_bytes ({maxMessageBytes:N0})";
                Refuse(batch[0], ErrorCodes.TooLarge, reason);
                continue;
            }

            var push = new SyncPush
            {
                Changes = [.. batch.Select(i => i.ToChange(_config.DeviceId))],
                LastAck = lastAck,
                Epoch = epoch,
                RequestId = Guid.NewGuid().ToString("N"),
            };
            SyncAck ack;
            QuotaExceededException? overQuota = null;
            try
            {
                ack = await PushAsync(transport, push, bytes, cancellationToken).ConfigureAwait(false);
            }
            catch (PushRejectedException ex) when (batch.Count > 1)
            {
                // A push is atomic, so one write the server will never take refuses all of it: halve the
                // batch until the refused write is alone (a few pushes), and the others go meanwhile.
                Log.PushSplit(_logger, batch.Count, ex.Message, _sizer.Halve(batch.Count));
                continue;
            }
            catch (PushRejectedException ex) when (batch.Count == 1)
            {
                // Kept, set aside with the server's reason, and not sent again until the note is written again.
                Refuse(batch[0], ex.Code, ex.Reason);
                _sizer.EndIsolation();
                continue;
            }
            catch (QuotaExceededException ex) when (batch.Count > 0)
            {
                // The writes stay in the outbox for later. The changes of other devices still come in
                // meanwhile: a delete made elsewhere may be what makes room.
                overQuota = new QuotaExceededException(ex.Message) { Writes = batch.Count };
                ack = await PushAsync(transport, Pull(lastAck, epoch), 0, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (batch.Count > 0 && !cancellationToken.IsCancellationRequested && ex is not (TokenRefusedException or SqliteException))
            {
                // Timed out or cut off on the way: smaller pushes from now on, so a slow or fragile link
                // still makes progress instead of sending the same large batch again and again.
                _sizer.Failed(bytes);
                throw;
            }

            if (Hooks.LoseAck?.Invoke(ack) == true)
            {
                throw new IOException("the answer was lost (test hook)");
            }

            // A server from before epochs names no reset when it lost data, but its answer falls below our
            // last_ack (in one history an answer is never below the push's last_ack): read it again from 0
            // as a reset (docs/protocol.md §3.4).
            var serverBehind = !ack.Reset && !ack.More && ack.AckTimestamp < lastAck;
            if (serverBehind)
            {
                Log.ServerBehindCursor(_logger, ack.AckTimestamp, lastAck);
            }

            ApplyFrame(ack, batch.Count > 0 && overQuota is null ? batch[^1].Id : null, serverBehind);

            // Follow more ourselves (required over HTTP; over the hub the server also sends the pages, and
            // duplicates are harmless): a reset ends only at a frame without more.
            while (ack.More)
            {
                ack = await PushAsync(transport, Pull(ack.AckTimestamp, ack.Epoch), 0, cancellationToken).ConfigureAwait(false);
                ApplyFrame(ack, null);
            }

            if (overQuota is not null)
            {
                throw overQuota;
            }

            bool resetActivity;
            lock (_gate)
            {
                resetActivity = _resetSeen is not null || _resetsFinished != resetsFinished;
            }

            if (!more && !resetActivity)
            {
                break;
            }
        }

        CompleteWaiters(round, transport.Kind, fellBack);
    }

    private static SyncPush Pull(long lastAck, string? epoch) => new() { LastAck = lastAck, Epoch = epoch, RequestId = Guid.NewGuid().ToString("N") };

    private void Refuse(OutboxItem item, string code, string reason)
    {
        Log.WriteRefused(_logger, PathOf(item.Key), code, reason);
        MarkRefused(item, code, reason);
    }

    /// <summary>The round ended: the waiters registered before it began are done.</summary>
    private void CompleteWaiters(long round, SyncTransport transport, bool fellBack)
    {
        List<TaskCompletionSource> done = [];
        int depth;
        long cursor;
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].AfterRound < round)
                {
                    done.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }

            depth = _outboxDepth;
            cursor = _cursor;
        }

        SetStatus(ConnectionState.Online, transport, fellBack, null);
        Log.Synced(_logger, cursor, depth);
        foreach (var d in done)
        {
            d.TrySetResult();
        }
    }

    private void FailWaiters(Exception error)
    {
        List<TaskCompletionSource> failed;
        lock (_gate)
        {
            failed = [.. _waiters.Select(w => w.Done)];
            _waiters.Clear();
        }

        foreach (var f in failed)
        {
            f.TrySetException(error);
        }
    }

    /// <summary>
    /// Sends a push of <paramref name="bytes"/> bytes of changes; a <c>rate_limited</c> refusal (nothing
    /// applied) is waited out and the same push sent again.
    /// </summary>
    private async Task<SyncAck> PushAsync(ISyncTransport transport, SyncPush push, long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await PushOnceAsync(transport, push, bytes, cancellationToken).ConfigureAwait(false);
            }
            catch (RateLimitedException ex)
            {
                // Not a failure: the connection stays and no backoff grows; the server said how long to wait.
                var wait = ex.RetryAfter < MinRateLimitWait ? MinRateLimitWait : ex.RetryAfter > _options.MaxReconnectDelay ? _options.MaxReconnectDelay : ex.RetryAfter;
                Log.RateLimited(_logger, (long)wait.TotalMilliseconds);
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<SyncAck> PushOnceAsync(ISyncTransport transport, SyncPush push, long bytes, CancellationToken cancellationToken)
    {
        Hooks.PushSending?.Invoke(push);
        var allowed = _sizer.Allowed(bytes);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(allowed);
        var started = Environment.TickCount64;
        using var watchdog = StallWatchdog.Start(_progress, _options.UploadStallTimeout, timeout);
        try
        {
            var ack = await transport.PushAsync(push, timeout.Token).ConfigureAwait(false);
            _sizer.Learned(ack.Limits);

            if (bytes > 0)
            {
                _sizer.Succeeded(bytes, Environment.TickCount64 - started, allowed);
            }

            return ack;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw watchdog?.Fired == true
                ? new TimeoutException($"a push of {bytes:N0} bytes made no progress for {_options.UploadStallTimeout.TotalSeconds:0.#} s (UploadStallTimeout)")
                : new TimeoutException($"the server did not answer within {allowed.TotalSeconds:0.#} s (a push of {bytes:N0} bytes)");
        }
    }

    private static string PathOf(string key) => key.StartsWith(ProtocolLimits.KeyPrefix, StringComparison.Ordinal) ? key[ProtocolLimits.KeyPrefix.Length..] : key;
}
