using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NoteSync.Server.Auth;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Limits;
using NoteSync.Server.Options;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Hubs;

/// <summary>
/// <c>/hubs/sync?device_id=</c> (docs/protocol.md §5): <c>Push(SyncPush) -&gt; SyncAck</c>, and live pushes to the
/// client method <c>Changes(SyncAck)</c>; JSON and MessagePack. A refused push fails the invocation
/// with a <see cref="HubException"/> whose message is <c>&lt;code&gt;: &lt;message&gt;</c>; the connection stays.
/// </summary>
internal sealed partial class SyncHub(
    SyncService service,
    IHubContext<SyncHub> hubContext,
    IOptions<NoteSyncOptions> options,
    SyncRateLimits rates,
    IHostApplicationLifetime lifetime,
    ILogger<SyncHub> logger) : Hub
{
    private static readonly object SessionKey = new();
    private static readonly object StoppingKey = new();
    private static readonly object ExpiryKey = new();
    private static readonly object TokenKey = new();
    private static readonly TimeSpan ReplyAwaitBound = TimeSpan.FromSeconds(10);

    public override Task OnConnectedAsync()
    {
        var http = Context.GetHttpContext();
        if (http is null || Context.User is null || DeviceIdentity.Resolve(http, Context.User, out var error) is not { } identity)
        {
            // Refused at the upgrade by the middleware of SyncHubEndpoints already; this guards other paths in.
            throw new HubException("bad_request: device_id is required");
        }

        var connection = Context;
        var expiry = new ConnectionExpiry(identity.ExpiresAt, () =>
        {
            Log.TokenExpired(logger, identity.Space, identity.DeviceId);
            connection.Abort();
        });
        Context.Items[ExpiryKey] = expiry;

        // The host waits up to its shutdown timeout (30 s) for open connections, and a hub connection
        // never ends by itself: ending it at once lets the server stop in moments, and the client
        // reconnects as after any drop.
        Context.Items[StoppingKey] = lifetime.ApplicationStopping.Register(connection.Abort);
        Context.Items[TokenKey] = identity.TokenKey;
        var sink = new ExpiringSink(new HubSink(hubContext.Clients.Client(Context.ConnectionId), Context), expiry);
        Context.Items[SessionKey] = new DeviceSession(identity.Space, identity.DeviceId, service, sink, options.Value.Limits, logger);
        service.Metrics.HubOpened();
        Log.Connected(logger, identity.Space, identity.DeviceId);
        return Task.CompletedTask;
    }

    /// <summary>Applies a push and returns its ack; a push the protocol's reader refused is answered with that error in its turn.</summary>
    public ValueTask<SyncAck> Push(HubPush push)
    {
        if (push is null)
        {
            throw new HubException($"{ErrorCodes.BadRequest}: {PushReadErrors.PushMustBeAnObject}");
        }

        var expiry = (ConnectionExpiry)Context.Items[ExpiryKey]!;
        if (expiry.IsExpired)
        {
            // Received after exp, before the timer fired: not served, and the connection ends.
            expiry.Expire();
            throw new HubException(TokenExpiredError);
        }

        var session = (DeviceSession)Context.Items[SessionKey]!;
        var reply = new OrderedReply<SyncAck>();

        // Over the device's push rate, or unreadable (as on the raw WebSocket, an unreadable push spends
        // the budget too, and the rate is reported first): refused in its turn among the answers,
        // nothing applied, the connection stays.
        var refusal = rates.TryPush(session.Space, session.DeviceId, (string?)Context.Items[TokenKey], push.RequestId) ?? push.Error?.ToFrame(push.RequestId);
        _ = RunAsync(session, expiry, push.Push, refusal, reply, Context.ConnectionAborted);
        return reply.Task;
    }

    private const string TokenExpiredError = $"{ErrorCodes.Unauthorized}: the token has expired";

    private static async Task RunAsync(DeviceSession session, ConnectionExpiry expiry, SyncPush? push, ErrorFrame? refusal, OrderedReply<SyncAck> reply, CancellationToken cancellationToken)
    {
        var answered = false;
        try
        {
            Func<PushResult, ValueTask> deliver = async result =>
            {
                try
                {
                    // SignalR awaits the reply as soon as Push returns, and the queue drains unless the
                    // connection is dying; the bounds only keep a dying connection from holding the gate.
                    await reply.Awaited.WaitAsync(ReplyAwaitBound, cancellationToken).ConfigureAwait(false);

                    // Live pushes queued before this answer go out before it.
                    await session.WhenQueueSentAsync().WaitAsync(ReplyAwaitBound, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Answer anyway: an unanswered invocation would hang the caller.
                }

                answered = true;
                if (expiry.IsExpired)
                {
                    expiry.Expire();
                    reply.SetException(new HubException(TokenExpiredError));
                }
                else if (result.Ack is { } ack)
                {
                    reply.SetResult(ack);
                }
                else
                {
                    reply.SetException(new HubException($"{result.Error!.Code}: {result.Error.Message}"));
                }
            };
            await (refusal is null
                ? session.SubmitAsync(push!, deliver, cancellationToken)
                : session.SubmitErrorAsync(refusal, deliver, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception ex) when (!answered)
        {
            reply.SetException(ex is OperationCanceledException or TimeoutException
                ? new HubException($"{ErrorCodes.Unavailable}: {DeviceSession.ClosingMessage}")
                : ex);
        }
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(ExpiryKey, out var expiry))
        {
            ((ConnectionExpiry)expiry!).Dispose();
        }

        if (Context.Items.TryGetValue(StoppingKey, out var stopping))
        {
            ((CancellationTokenRegistration)stopping!).Dispose();
        }

        if (Context.Items.TryGetValue(SessionKey, out var value) && value is DeviceSession session)
        {
            service.Metrics.HubClosed();
            await session.DisposeAsync();
            Log.Disconnected(logger, session.Space, session.DeviceId);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, EventName = "HubConnected", Level = LogLevel.Debug,
            Message = "Device {DeviceId} of space {Space} connected on /hubs/sync")]
        public static partial void Connected(ILogger logger, string space, string deviceId);

        [LoggerMessage(EventId = 101, EventName = "HubDisconnected", Level = LogLevel.Debug,
            Message = "Device {DeviceId} of space {Space} left /hubs/sync")]
        public static partial void Disconnected(ILogger logger, string space, string deviceId);

        [LoggerMessage(EventId = 401, EventName = "HubTokenExpired", Level = LogLevel.Information,
            Message = "The token of device {DeviceId} of space {Space} expired; closing its /hubs/sync connection")]
        public static partial void TokenExpired(ILogger logger, string space, string deviceId);
    }
}
