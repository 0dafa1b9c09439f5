using Microsoft.AspNetCore.SignalR;
using Microsoft.Data.Sqlite;

namespace NoteSync.Client;

// The background loop: which transport, what a failure means for the state, and the backoff.
public sealed partial class NoteSyncClient
{
    /// <summary>
    /// The one background loop. Each turn: open the hub when wanted (else poll), run a sync round (outbox
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

                if (_hub is { IsOpen: false })
                {
                    await DropHubAsync().ConfigureAwait(false);
                    throw new IOException("the hub connection closed");
                }

                if (_config.EnableWebSocket && _hub is null && Environment.TickCount64 >= nextWebSocketAttempt)
                {
                    SetStatus(ConnectionState.Connecting, SyncTransport.WebSocket, fellBack, Status.LastError);
                    try
                    {
                        _hub = await ConnectHubAsync(cancellationToken).ConfigureAwait(false);
                        _sizer.NewConnection();
                        fellBack = false;
                        Log.HubConnected(_logger, _config.DeviceId);
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !ServerRefusal.IsUnauthorized(ex) && !ServerRefusal.IsUnreachable(ex))
                    {
                        // The server is there but will not give us a WebSocket (404, a proxy refusing the
                        // upgrade, a failed handshake): poll instead, and try the WebSocket again later.
                        fellBack = true;
                        nextWebSocketAttempt = Environment.TickCount64 + (long)_options.WebSocketRetryInterval.TotalMilliseconds;
                        Log.FallingBackToPolling(_logger, Describe(ex), _config.SyncIntervalMs, _options.WebSocketRetryInterval.TotalSeconds);
                        SetStatus(ConnectionState.Connecting, SyncTransport.Polling, fellBack, $"WebSocket unavailable, polling instead: {Describe(ex)}");
                    }
                }

                ISyncTransport current = _hub is { } hub ? hub : _polling;
                transport = current.Kind;
                await SyncRoundAsync(current, fellBack, cancellationToken).ConfigureAwait(false);
                failures = 0;
                await WaitForWorkAsync(transport == SyncTransport.WebSocket ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(_config.SyncIntervalMs), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ServerRefusal.IsUnauthorized(ex))
            {
                await DropHubAsync().ConfigureAwait(false);
                var refused = ex is TokenRefusedException { TokenGiven: true } given && TokenGiven ? given : TokenRefusedException.Of(TokenGiven, "401", ex);
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
            catch (SqliteException ex)
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
                SetStatus(ConnectionState.Offline, transport, fellBack, Describe(ex), ServerRefusal.IsServerError(ex));
                Log.SyncFailed(_logger, Describe(ex), (long)delay.TotalMilliseconds, failures);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task<HubTransport> ConnectHubAsync(CancellationToken cancellationToken)
    {
        // Live pushes are applied in the order received; SignalR runs one handler at a time per connection.
        // One that cannot be stored stops the connection's live pushes: a later one would carry the
        // cursor past it, and SignalR would swallow the error. The loop reconnects from the cursor.
        var liveBroken = false;
        void OnChanges(NoteSync.Shared.Protocol.SyncAck ack)
        {
            if (liveBroken)
            {
                return;
            }

            try
            {
                ApplyFrame(ack, null);
            }
            catch (SqliteException ex)
            {
                liveBroken = true;
                Interlocked.Exchange(ref _liveStoreFailure, ex);
                ReleaseWake();
            }
        }

        var url = new Uri(_baseUri, $"{_options.HubPath}?device_id={Uri.EscapeDataString(_config.DeviceId)}");
        return HubTransport.ConnectAsync(url, GetTokenAsync, _progress, OnChanges, ReleaseWake, _options.RequestTimeout, cancellationToken);
    }

    private async ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken) =>
        _options.TokenProvider is { } provider ? await provider(cancellationToken).ConfigureAwait(false) : _options.Token;

    private async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _wake.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);

        // Several wake-ups for one round: one round serves them all.
        while (_wake.Wait(0, CancellationToken.None))
        {
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
            await hub.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        // What a hub method's failure carries is the server's text, after SignalR's own wrapping.
        HubException => ServerRefusal.WithoutTypeNames(ex.Message),
        _ when ex.InnerException is { } inner && ex is not PushRejectedException && ex is not TokenRefusedException => $"{ex.Message} ({inner.Message})",
        _ => ex.Message,
    };
}
