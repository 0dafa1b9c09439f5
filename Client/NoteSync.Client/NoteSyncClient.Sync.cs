using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

public sealed partial class NoteSyncClient
{
    /// <summary>
    /// The one background loop. Each turn: (re)connect the hub when wanted, run a sync round (outbox
    /// out, changes in), then wait for a local write, a <see cref="SyncNowAsync"/>, the hub closing, or
    /// the poll interval. A failure drops the hub and waits a backoff; a 401 waits
    /// <see cref="NoteSyncClientOptions.UnauthorizedRetryDelay"/>, so a refused token never spins.
    /// </summary>
    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        var fellBack = false;
        var nextWebSocketAttempt = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            var transport = SyncTransport.Polling;
            try
            {
                if (Interlocked.Exchange(ref _liveStoreFailure, null) is { } liveFailure)
                {
                    // A live push could not be stored; the connection's later frames were ignored, so the
                    // cursor stays before it. A new connection reads again from the cursor.
                    throw liveFailure;
                }

                if (_hub is { State: not HubConnectionState.Connected })
                {
                    await DropHubAsync().ConfigureAwait(false);
                    throw new IOException("the hub connection closed");
                }

                if (_config.EnableWebSocket && _hub is null && Environment.TickCount64 >= nextWebSocketAttempt)
                {
                    SetStatus(ConnectionState.Connecting, SyncTransport.WebSocket, fellBack, Status.LastError);
                    try
                    {
                        await ConnectHubAsync(cancellationToken).ConfigureAwait(false);
                        fellBack = false;
                        Log.HubConnected(_logger, _config.DeviceId);
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !IsUnauthorized(ex) && !IsUnreachable(ex))
                    {
                        // The server is there but will not give us a WebSocket (404, a proxy refusing the
                        // upgrade, a failed handshake): poll instead, and try the WebSocket again later.
                        await DropHubAsync().ConfigureAwait(false);
                        fellBack = true;
                        nextWebSocketAttempt = Environment.TickCount64 + (long)_options.WebSocketRetryInterval.TotalMilliseconds;
                        Log.FallingBackToPolling(_logger, Describe(ex), _config.SyncIntervalMs, _options.WebSocketRetryInterval.TotalSeconds);
                        SetStatus(ConnectionState.Connecting, SyncTransport.Polling, fellBack, $"WebSocket unavailable, polling instead: {Describe(ex)}");
                    }
                }

                transport = _hub is null ? SyncTransport.Polling : SyncTransport.WebSocket;
                await SyncRoundAsync(transport, fellBack, cancellationToken).ConfigureAwait(false);
                failures = 0;
                await WaitForWorkAsync(transport == SyncTransport.WebSocket ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(_config.SyncIntervalMs), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (IsUnauthorized(ex))
            {
                await DropHubAsync().ConfigureAwait(false);
                var refused = new TokenRefusedException("the server refused the token (401)", ex);
                SetStatus(ConnectionState.Unauthorized, transport, fellBack, refused.Message);
                FailWaiters(refused);
                Log.TokenRefused(_logger, _options.UnauthorizedRetryDelay.TotalSeconds);
                await Task.Delay(_options.UnauthorizedRetryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (QuotaExceededException ex)
            {
                // The connection is fine and stays: only the outbox waits, for room in the space.
                failures++;
                var delay = Backoff.Delay(failures, _options.MinReconnectDelay, _options.MaxReconnectDelay, _random);
                // Logged first, so whoever sees the state can find the line that explains it.
                Log.QuotaExceeded(_logger, ex.Writes, ex.Message, (long)delay.TotalMilliseconds);
                SetStatus(ConnectionState.QuotaExceeded, transport, fellBack, ex.Message);
                await WaitForWorkAsync(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex)
            {
                // The device's own disk, not the network: say so, and retry (space may be freed).
                await DropHubAsync().ConfigureAwait(false);
                failures++;
                var delay = Backoff.Delay(failures, _options.MinReconnectDelay, _options.MaxReconnectDelay, _random);
                SetStatus(ConnectionState.StoreFailed, transport, fellBack, $"the local store in {_options.DataDirectory} could not be written: {ex.Message}");
                Log.StoreFailed(_logger, ex.Message, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await DropHubAsync().ConfigureAwait(false);
                failures++;
                var delay = Backoff.Delay(failures, _options.MinReconnectDelay, _options.MaxReconnectDelay, _random);
                SetStatus(ConnectionState.Offline, transport, fellBack, Describe(ex));
                Log.SyncFailed(_logger, Describe(ex), (long)delay.TotalMilliseconds, failures);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Pushes the outbox in id order, one batch per push, then pulls every page. A batch is bounded by
    /// count and by bytes, under the server's limits once an answer told them. A batch the server refuses
    /// for good is halved until the one refused write is found, which is set aside (<see cref="Refused"/>)
    /// while the rest goes. A waiter registered before this round started is done when it ends: every
    /// write queued before the waiter was in it, acknowledged or refused. A reset during the round keeps it
    /// going until the re-uploads it queued are pushed, so a waiter is not told "synced" while the server
    /// still lacks what the device holds.
    /// </summary>
    private async Task SyncRoundAsync(SyncTransport transport, bool fellBack, CancellationToken cancellationToken)
    {
        long round;
        lock (_gate)
        {
            round = ++_roundsStarted;
        }

        // A refusal for want of room stays on show while the outbox is sent again.
        SetStatus(ConnectionState.Syncing, transport, fellBack, Status is { State: ConnectionState.QuotaExceeded } refused ? refused.LastError : null);
        _isolateCap = null;
        while (true)
        {
            List<OutboxItem> batch;
            bool more;
            long bytes;
            long lastAck;
            string? epoch;
            long resetsFinished;
            SyncLimits? limits;
            lock (_gate)
            {
                limits = _limits;
                (batch, more, bytes) = _store.ReadOutbox(PushCountLimit(limits), PushByteLimit(limits), ChangeBytes);
                lastAck = _cursor;
                epoch = _epoch;
                resetsFinished = _resetsFinished;
            }

            if (limits is null && (bytes > UnknownLimitsPushBytes || Volatile.Read(ref _learnLimitsFirst)))
            {
                // A large push before the server told its limits (or after one was lost without an answer):
                // a hub closes the connection on a message over them instead of answering, so learn them
                // first with a pull (its answer tells them), then send what fits.
                ApplyFrame(await PushAsync(new SyncPush { LastAck = lastAck, Epoch = epoch, RequestId = Guid.NewGuid().ToString("N") }, 0, cancellationToken).ConfigureAwait(false), null);
                lock (_gate)
                {
                    _learnLimitsFirst = false;
                    if (_limits is null)
                    {
                        // A server that does not tell them: our own bounds it is.
                        _limits = new SyncLimits { MaxMessageBytes = long.MaxValue, MaxChangesPerPush = int.MaxValue };
                    }
                }

                continue;
            }

            if (batch.Count == 1 && limits is { } known && bytes + PushEnvelopeBytes > known.MaxMessageBytes)
            {
                // It cannot be sent at all: the server would drop the connection, not answer.
                var reason = $"the write is {bytes:N0} bytes as JSON, more than the server's max_message_bytes ({known.MaxMessageBytes:N0})";
                Log.WriteRefused(_logger, PathOf(batch[0].Key), ErrorCodes.TooLarge, reason);
                MarkRefused(batch[0], ErrorCodes.TooLarge, reason);
                continue;
            }

            var push = new SyncPush
            {
                Changes = [.. batch.Select(i => new Change { Key = i.Key, Value = i.Value, Timestamp = i.Timestamp, DeviceId = _config.DeviceId })],
                LastAck = lastAck,
                Epoch = epoch,
                RequestId = Guid.NewGuid().ToString("N"),
            };
            SyncAck ack;
            QuotaExceededException? overQuota = null;
            try
            {
                ack = await PushAsync(push, bytes, cancellationToken).ConfigureAwait(false);
            }
            catch (PushRejectedException ex) when (batch.Count > 1)
            {
                // A push is atomic, so one write the server will never take refuses all of it: halve the
                // batch until the refused write is alone (a few pushes), and the others go meanwhile.
                _isolateCap = batch.Count / 2;
                Log.PushSplit(_logger, batch.Count, ex.Message, _isolateCap.Value);
                continue;
            }
            catch (PushRejectedException ex) when (batch.Count == 1)
            {
                // Kept, set aside with the server's reason, and not sent again until the note is written again.
                Log.WriteRefused(_logger, PathOf(batch[0].Key), ex.Code, ex.Reason);
                MarkRefused(batch[0], ex.Code, ex.Reason);
                _isolateCap = null;
                continue;
            }
            catch (QuotaExceededException ex) when (batch.Count > 0)
            {
                // The writes stay in the outbox for later. The changes of other devices still come in
                // meanwhile: a delete made elsewhere may be what makes room.
                overQuota = new QuotaExceededException(ex.Message) { Writes = batch.Count };
                ack = await PushAsync(new SyncPush { LastAck = lastAck, Epoch = epoch, RequestId = Guid.NewGuid().ToString("N") }, 0, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (batch.Count > 0 && !cancellationToken.IsCancellationRequested && ex is not (TokenRefusedException or Microsoft.Data.Sqlite.SqliteException))
            {
                // Timed out or cut off on the way: smaller pushes from now on, so a slow or fragile link
                // still makes progress instead of sending the same large batch again and again.
                lock (_gate)
                {
                    _pushBytes = Math.Max(1, Math.Min(_pushBytes, bytes) / 2);
                    _learnLimitsFirst |= _limits is null;
                }

                throw;
            }

            if (LoseAck?.Invoke(ack) == true)
            {
                throw new IOException("the answer was lost (test hook)");
            }

            // A server from before epochs names no reset when it lost data, but its answer falls below our
            // last_ack (in one history an answer is never below the push's last_ack): read it again from 0
            // as a reset.
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
                ack = await PushAsync(new SyncPush { LastAck = ack.AckTimestamp, Epoch = ack.Epoch, RequestId = Guid.NewGuid().ToString("N") }, 0, cancellationToken).ConfigureAwait(false);
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

    private async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _wake.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);

        // Several wake-ups for one round: one round serves them all.
        while (_wake.Wait(0, CancellationToken.None))
        {
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
    private async Task<SyncAck> PushAsync(SyncPush push, long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await PushOnceAsync(push, bytes, cancellationToken).ConfigureAwait(false);
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

    /// <summary>A floor under the server's retry-after, so a zero never becomes a hot loop.</summary>
    private static readonly TimeSpan MinRateLimitWait = TimeSpan.FromMilliseconds(20);

    private async Task<SyncAck> PushOnceAsync(SyncPush push, long bytes, CancellationToken cancellationToken)
    {
        OnPushSending?.Invoke(push);

        // The upload's share grows with its size: a fixed deadline would cut a large push on a slow link
        // every time, and it would be sent again, whole, forever.
        var allowed = _options.RequestTimeout + TimeSpan.FromSeconds((double)bytes / _options.MinUploadBytesPerSecond);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(allowed);
        var started = Environment.TickCount64;
        try
        {
            var ack = _hub is { } hub
                ? await PushOverHubAsync(hub, push, timeout.Token).ConfigureAwait(false)
                : await PostAsync(push, timeout.Token).ConfigureAwait(false);
            if (bytes > 0)
            {
                GrowPushBytes(bytes, Environment.TickCount64 - started, allowed);
            }

            return ack;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the server did not answer within {allowed.TotalSeconds:0.#} s (a push of {bytes:N0} bytes)");
        }
    }

    /// <summary>After pushes made smaller by a timeout, larger ones again once a push went through well within its time.</summary>
    private void GrowPushBytes(long bytes, long elapsedMs, TimeSpan allowed)
    {
        lock (_gate)
        {
            if (_pushBytes < _options.MaxPushBytes && bytes * 2 > _pushBytes && elapsedMs * 4 < allowed.TotalMilliseconds)
            {
                _pushBytes = Math.Min(_options.MaxPushBytes, _pushBytes * 2);
            }
        }
    }

    /// <summary>The most writes in the next push: ours, the server's, and the halving that isolates a refused write.</summary>
    private int PushCountLimit(SyncLimits? limits) =>
        (int)Math.Max(1, Math.Min(Math.Min(_options.MaxChangesPerPush, limits?.MaxChangesPerPush ?? int.MaxValue), _isolateCap ?? int.MaxValue));

    /// <summary>The most bytes of changes in the next push: ours (smaller after a timeout), under the server's message limit.</summary>
    private long PushByteLimit(SyncLimits? limits) =>
        Math.Max(1, Math.Min(_pushBytes, (limits?.MaxMessageBytes ?? long.MaxValue) - PushEnvelopeBytes));

    /// <summary>The most bytes of changes pushed before the server told its limits: well under any it may set.</summary>
    private const long UnknownLimitsPushBytes = 64 * 1024;

    /// <summary>Room for a push's fields besides its changes (type, last_ack, epoch, request_id), generously.</summary>
    private const long PushEnvelopeBytes = 1024;

    /// <summary>A change's size in the push as sent over HTTP (JSON; the hub's MessagePack is smaller), comma included.</summary>
    private long ChangeBytes(OutboxItem item) =>
        JsonSerializer.SerializeToUtf8Bytes(new Change { Key = item.Key, Value = item.Value, Timestamp = item.Timestamp, DeviceId = _config.DeviceId }, NoteSyncJsonContext.Wire.Change).Length + 1;

    private static string PathOf(string key) => key.StartsWith(ProtocolLimits.KeyPrefix, StringComparison.Ordinal) ? key[ProtocolLimits.KeyPrefix.Length..] : key;

    private static async Task<SyncAck> PushOverHubAsync(HubConnection hub, SyncPush push, CancellationToken cancellationToken)
    {
        try
        {
            return await hub.InvokeAsync<SyncAck>("Push", push, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException ex) when (RefusalIn(ex.Message) is var (code, reason))
        {
            throw new PushRejectedException(code, reason);
        }
        catch (HubException ex) when (ex.Message.Contains(ErrorCodes.RateLimited + ":", StringComparison.Ordinal))
        {
            throw RateLimitedException.FromHubMessage(ex.Message);
        }
        catch (HubException ex) when (ex.Message.Contains(ErrorCodes.QuotaExceeded + ":", StringComparison.Ordinal))
        {
            throw new QuotaExceededException(ex.Message[ex.Message.IndexOf(ErrorCodes.QuotaExceeded + ":", StringComparison.Ordinal)..]);
        }
    }

    /// <summary>The code and message of a refusal for good in a hub error, which ends with <c>&lt;code&gt;: &lt;message&gt;</c> (docs/protocol.md §5.4).</summary>
    private static (string Code, string Reason)? RefusalIn(string message)
    {
        foreach (var code in (string[])[ErrorCodes.BadRequest, ErrorCodes.TooLarge])
        {
            var at = message.IndexOf(code + ": ", StringComparison.Ordinal);
            if (at >= 0)
            {
                return (code, message[(at + code.Length + 2)..]);
            }
        }

        return null;
    }

    private async Task<SyncAck> PostAsync(SyncPush push, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUri, $"{_options.PollPath}?device_id={Uri.EscapeDataString(_config.DeviceId)}"))
        {
            // UTF-8 as it is, not \uXXXX escapes: the size ChangeBytes counts, and up to six times smaller.
            Content = JsonContent.Create(push, NoteSyncJsonContext.Wire.SyncPush),
        };
        if (await GetTokenAsync(cancellationToken).ConfigureAwait(false) is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new TokenRefusedException("the server refused the token (401)");
        }

        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge)
        {
            // A proxy's refusal has no error object (nginx's body limit answers 413 with HTML): the status says it all.
            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            var tooLarge = response.StatusCode == HttpStatusCode.RequestEntityTooLarge;
            throw error is { Code: { Length: > 0 } code }
                ? new PushRejectedException(code, error.Message)
                : new PushRejectedException(
                    tooLarge ? ErrorCodes.TooLarge : ErrorCodes.BadRequest,
                    $"HTTP {(int)response.StatusCode} {response.ReasonPhrase} without an error object (from a proxy in front of the server?)" + (tooLarge ? ": the request body is larger than it takes" : ""));
        }

        if (response.StatusCode == HttpStatusCode.InsufficientStorage)
        {
            // quota_exceeded: not a refusal for good, so not with 400 and 413 above; the writes wait.
            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            throw new QuotaExceededException($"{error?.Code ?? ErrorCodes.QuotaExceeded}: {error?.Message}");
        }

        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            var wait = error?.RetryAfterMs is { } ms ? TimeSpan.FromMilliseconds(ms)
                : response.Headers.RetryAfter?.Delta ?? RateLimitedException.DefaultRetryAfter;
            throw new RateLimitedException($"429 {error?.Code}: {error?.Message}", wait);
        }

        if (!response.IsSuccessStatusCode)
        {
            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"POST /{_options.PollPath} answered {(int)response.StatusCode} {error?.Code}: {error?.Message}", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.SyncAck, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException("the server answered an empty body");
    }

    private static async Task<ErrorFrame?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    private async ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_options.TokenProvider is { } provider)
        {
            return await provider(cancellationToken).ConfigureAwait(false);
        }

        return _options.Token;
    }

    private async Task ConnectHubAsync(CancellationToken cancellationToken)
    {
        var url = new Uri(_baseUri, $"{_options.HubPath}?device_id={Uri.EscapeDataString(_config.DeviceId)}");
        var hub = new HubConnectionBuilder()
            .WithUrl(url, o =>
            {
                // One WebSocket and no negotiation: any node of the service can take it (docs/operations.md).
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => GetTokenAsync(CancellationToken.None).AsTask();
            })
            .AddMessagePackProtocol()
            .Build();

        // Live pushes are applied in the order received; SignalR runs one handler at a time per connection.
        // One that cannot be stored stops the connection's live pushes: a later one would carry the
        // cursor past it, and SignalR would swallow the error. The loop reconnects from the cursor.
        var liveBroken = false;
        hub.On<SyncAck>("Changes", ack =>
        {
            if (liveBroken)
            {
                return;
            }

            try
            {
                ApplyFrame(ack, null);
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex)
            {
                liveBroken = true;
                Interlocked.Exchange(ref _liveStoreFailure, ex);
                ReleaseWake();
            }
        });
        hub.Closed += _ =>
        {
            ReleaseWake();
            return Task.CompletedTask;
        };
        _hub = hub;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            await hub.StartAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the WebSocket handshake did not finish within {_options.RequestTimeout.TotalSeconds} s");
        }
    }

    private void ReleaseWake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // Closed during dispose: nobody waits any more.
        }
    }

    private async Task DropHubAsync()
    {
        var hub = _hub;
        _hub = null;
        if (hub is not null)
        {
            try
            {
                await hub.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Debug.WriteLine(ex);
            }
        }
    }

    /// <summary>A 401 anywhere in the chain: our own exception, an HTTP status, or the WebSocket upgrade's status.</summary>
    internal static bool IsUnauthorized(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is TokenRefusedException
                || (e is HttpRequestException { StatusCode: HttpStatusCode.Unauthorized })
                || e.Message.Contains("'401'", StringComparison.Ordinal)
                || e.Message.Contains("401 (Unauthorized)", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The server could not be reached at all (refused connection, no route): an outage, not a WebSocket problem.</summary>
    private static bool IsUnreachable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException)
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(Exception ex) => ex.InnerException is { } inner && ex is not PushRejectedException && ex is not TokenRefusedException
        ? $"{ex.Message} ({inner.Message})"
        : ex.Message;
}
