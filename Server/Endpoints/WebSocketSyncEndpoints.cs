using System.Buffers;
using System.Net.WebSockets;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// <c>GET /ws/sync?device_id=</c>: the raw WebSocket of docs/protocol.md §4, for browsers and JS clients.
/// One text frame, one JSON object, read here and handed to <see cref="PushIntake"/>, which checks it and
/// answers it in its turn. Every bad frame gets an <c>error</c> frame and the connection keeps syncing;
/// only a message over <c>NoteSync:Limits:MaxMessageBytes</c> closes it (1009), and, with auth, the
/// token's expiry (1008: no frame is read or sent after <c>exp</c>).
/// </summary>
internal static partial class WebSocketSyncEndpoints
{
    private const int InitialBufferBytes = 4096;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The reason of the 1001 close every connection gets when the server stops.</summary>
    public const string ServerStoppingReason = "the server is stopping";

    private const string BinaryFrameMessage = "binary frames are not accepted: send each sync_push as a JSON text frame";

    // How long a device has to answer the server's own close (1008 at token expiry, 1001 at a stop)
    // before the socket is dropped.
    private static readonly TimeSpan ServerCloseGrace = TimeSpan.FromSeconds(5);

    // After a protocol error the runtime has sent its close frame (1007, 1002) but may have left part of the
    // bad frame unread; closing the socket then makes the kernel send a reset, and a reset makes the
    // peer's kernel drop what it received and not yet read: the close frame too. A short linger lets
    // the peer read it first.
    private static readonly TimeSpan ProtocolErrorLinger = TimeSpan.FromMilliseconds(500);

    // How long a device that sent a message over the limit may go on sending its rest before it is cut.
    private static readonly TimeSpan TooBigDrainTime = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapWebSocketSync(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map(ServerPaths.WebSocket, HandleAsync);
        return endpoints;
    }

    private static async Task HandleAsync(
        HttpContext context,
        PushIntake intake,
        SyncService service,
        ILoggerFactory loggerFactory)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await ErrorResults.Of(StatusCodes.Status400BadRequest, ProtocolError.BadRequest($"{ServerPaths.WebSocket} takes a WebSocket upgrade request")).ExecuteAsync(context);
            return;
        }

        if (PushIntake.Identify(context, out var identityError) is not { } identity)
        {
            await ErrorResults.Refuse(context, identityError!.Value).ExecuteAsync(context);
            return;
        }

        var logger = loggerFactory.CreateLogger(typeof(WebSocketSyncEndpoints).FullName!);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        Log.Connected(logger, identity.Space, identity.DeviceId);
        service.Metrics.WebSocketOpened();
        try
        {
            await RunSessionAsync(context, socket, identity, intake, logger);
        }
        finally
        {
            service.Metrics.WebSocketClosed();
        }

        Log.Disconnected(logger, identity.Space, identity.DeviceId, socket.CloseStatus, socket.State);
    }

    private static async Task RunSessionAsync(HttpContext context, WebSocket socket, DeviceIdentity identity, PushIntake intake, ILogger logger)
    {
        // Cancelled a grace period after the server's own close (token expiry, the server stopping), for a
        // device that does not answer it.
        using var closeCut = new CancellationTokenSource();

        // The host waits up to its shutdown timeout (30 s) for open requests, and a live WebSocket never
        // ends by itself: closing it at once (1001) lets the server stop in moments and tells the device
        // to reconnect, to another node or to this one once it is back.
        using var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(
            () => _ = CloseFromServerAsync(socket, WebSocketCloseStatus.EndpointUnavailable, ServerStoppingReason, closeCut));
        var connection = intake.Open(identity, new WebSocketSink(socket), () =>
        {
            Log.TokenExpired(logger, identity.Space, identity.DeviceId);
            _ = CloseFromServerAsync(socket, PushRefusals.TokenExpiredClose, PushRefusals.TokenExpiredMessage, closeCut);
        }, logger);
        await using (connection.ConfigureAwait(false))
        {
            var session = connection.Session;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Closed, closeCut.Token);
            try
            {
                await ReceiveLoopAsync(socket, connection, intake, stop.Token);

                // Answer what was received before the close, so a device that pushes and closes gets its acks.
                await session.DrainAsync().WaitAsync(DrainTimeout, stop.Token);
                await session.FlushAsync().WaitAsync(DrainTimeout, stop.Token);
                if (socket.State == WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Shutdown, a client that went away, or a session cut for lagging.
            }
            catch (TimeoutException)
            {
                // The answers did not drain in time; the device re-sends what it did not see acknowledged.
            }
            catch (WebSocketException ex)
            {
                Log.ConnectionFailed(logger, identity.Space, identity.DeviceId, ex.WebSocketErrorCode);
                try
                {
                    await Task.Delay(ProtocolErrorLinger, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The peer is gone already.
                }
            }
        }
    }

    // Sends the server's close beside the pending receive (which then sees the device's close and ends);
    // a device that does not answer is cut after the grace period.
    private static async Task CloseFromServerAsync(WebSocket socket, WebSocketCloseStatus status, string reason, CancellationTokenSource cut)
    {
        try
        {
            cut.CancelAfter(ServerCloseGrace);
            await socket.CloseOutputAsync(status, reason, cut.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Closed or gone already.
        }
    }

    // Sends the 1009 close, then reads and drops the rest of the message until the peer's close (at most
    // a few seconds): closing on unread bytes makes the kernel send a reset, which can make the peer's
    // kernel drop the close frame, and the device would never learn why it was cut.
    private static async Task CloseTooBigAsync(WebSocket socket, int maxMessageBytes, CancellationToken cancellationToken)
    {
        await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, $"a message may be at most {maxMessageBytes} bytes", cancellationToken);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(TooBigDrainTime);
        var sink = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (socket.State == WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(sink.AsMemory(), drain.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The peer went away, or kept sending past the drain time: it is cut either way.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    private static async Task ReceiveLoopAsync(WebSocket socket, DeviceConnection connection, PushIntake intake, CancellationToken cancellationToken)
    {
        var maxMessageBytes = intake.MaxMessageBytes;
        while (socket.State == WebSocketState.Open)
        {
            // Wait with a zero-byte read so that an idle connection holds no buffer.
            var peek = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            if (peek.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            var buffer = MessageBuffers.Rent(InitialBufferBytes);
            try
            {
                var count = 0;
                var result = peek;
                while (!result.EndOfMessage)
                {
                    if (count == buffer.Length)
                    {
                        if (count >= maxMessageBytes)
                        {
                            await CloseTooBigAsync(socket, maxMessageBytes, cancellationToken);
                            return;
                        }

                        var bigger = MessageBuffers.Rent((int)Math.Min((long)buffer.Length * 2, maxMessageBytes + 1L));
                        buffer.AsSpan(0, count).CopyTo(bigger);
                        MessageBuffers.Return(buffer);
                        buffer = bigger;
                    }

                    var vr = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                    result = new ValueWebSocketReceiveResult(vr.Count, vr.MessageType, vr.EndOfMessage);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    count += result.Count;
                    if (count > maxMessageBytes)
                    {
                        await CloseTooBigAsync(socket, maxMessageBytes, cancellationToken);
                        return;
                    }
                }

                if (peek.MessageType == WebSocketMessageType.Text
                    && HistoryRequestReader.TryRead(buffer.AsSpan(0, count), out var request, out var malformed))
                {
                    if (!await intake.AnswerHistoryRequestAsync(connection, request!, malformed, cancellationToken))
                    {
                        return;
                    }

                    continue;
                }

                var read = peek.MessageType == WebSocketMessageType.Binary
                    ? PushRead.Refused(ProtocolError.BadRequest(BinaryFrameMessage))
                    : PushRead.Of(SyncPushReader.Read(buffer.AsSpan(0, count), out var error, out var requestId), error, requestId);
                if (!await intake.AcceptAsync(connection, read, cancellationToken))
                {
                    // Received after exp, before the timer fired: not served, and the close is on its way.
                    return;
                }
            }
            finally
            {
                MessageBuffers.Return(buffer);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "WebSocketConnected", Level = LogLevel.Debug,
            Message = "Device {DeviceId} of space {Space} connected on /ws/sync")]
        public static partial void Connected(ILogger logger, string space, string deviceId);

        [LoggerMessage(EventId = 2, EventName = "WebSocketDisconnected", Level = LogLevel.Debug,
            Message = "Device {DeviceId} of space {Space} left /ws/sync (close status {CloseStatus}, state {State})")]
        public static partial void Disconnected(ILogger logger, string space, string deviceId, WebSocketCloseStatus? closeStatus, WebSocketState state);

        [LoggerMessage(EventId = 3, EventName = "WebSocketFailed", Level = LogLevel.Debug,
            Message = "The WebSocket of device {DeviceId} of space {Space} failed: {Error}")]
        public static partial void ConnectionFailed(ILogger logger, string space, string deviceId, WebSocketError error);

        [LoggerMessage(EventId = 400, EventName = "WebSocketTokenExpired", Level = LogLevel.Information,
            Message = "The token of device {DeviceId} of space {Space} expired; closing /ws/sync with 1008")]
        public static partial void TokenExpired(ILogger logger, string space, string deviceId);
    }
}
