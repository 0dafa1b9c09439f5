using Microsoft.AspNetCore.SignalR;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Hubs;

/// <summary>
/// <c>/hubs/sync?device_id=</c> (docs/protocol.md §5): <c>Push(SyncPush) -&gt; SyncAck</c>, and live pushes to the
/// client method <c>Changes(SyncAck)</c>; JSON and MessagePack. Every push goes through <see cref="PushIntake"/>;
/// a refused one fails the invocation with a <see cref="HubException"/> whose message is
/// <c>&lt;code&gt;: &lt;message&gt;</c>, and the connection stays.
/// </summary>
internal sealed partial class SyncHub(
    PushIntake intake,
    SyncService service,
    IHubContext<SyncHub> hubContext,
    IHostApplicationLifetime lifetime,
    ILogger<SyncHub> logger) : Hub
{
    private static readonly object ConnectionKey = new();
    private static readonly object StoppingKey = new();

    public override Task OnConnectedAsync()
    {
        var http = Context.GetHttpContext();

        // The upgrade found the identity already (SyncHubEndpoints) and this finds it kept with the request.
        if (http is null || Context.User is null || PushIntake.Identify(http, Context.User, out _) is not { } identity)
        {
            // Refused at the upgrade by the middleware of SyncHubEndpoints already; this guards other paths in.
            throw new HubException($"{ErrorCodes.BadRequest}: device_id is required");
        }

        var context = Context;
        var sink = new HubSink(hubContext.Clients.Client(Context.ConnectionId), Context);
        Context.Items[ConnectionKey] = intake.Open(identity, sink, () =>
        {
            Log.TokenExpired(logger, identity.Space, identity.DeviceId);
            context.Abort();
        }, logger);

        // The host waits up to its shutdown timeout (30 s) for open connections, and a hub connection
        // never ends by itself: ending it at once lets the server stop in moments, and the client
        // reconnects as after any drop.
        Context.Items[StoppingKey] = lifetime.ApplicationStopping.Register(context.Abort);
        service.Metrics.HubOpened();
        Log.Connected(logger, identity.Space, identity.DeviceId);
        return Task.CompletedTask;
    }

    /// <summary>Takes a push through the intake; its answer (or refusal) completes the invocation in its turn.</summary>
    public ValueTask<SyncAck> Push(HubPush? push)
    {
        var connection = (DeviceConnection)Context.Items[ConnectionKey]!;
        var reply = new HubReply(connection, Context.ConnectionAborted);
        var read = push is null
            ? PushRead.Refused(ProtocolError.BadRequest(PushReadErrors.PushMustBeAnObject))
            : push.Push is { } readable ? PushRead.Of(readable, null, push.RequestId) : PushRead.Of(null, push.Error, push.RequestId);
        _ = AcceptAsync(connection, read, reply, Context.ConnectionAborted);
        return reply.Task;
    }

    private async Task AcceptAsync(DeviceConnection connection, PushRead read, HubReply reply, CancellationToken cancellationToken)
    {
        try
        {
            if (!await intake.AcceptAsync(connection, read, reply, cancellationToken).ConfigureAwait(false))
            {
                // Received after exp, before the timer fired: not served, and the connection ends.
                reply.Fail(PushRefusals.TokenExpiredOnHub());
            }
        }
        catch (Exception ex)
        {
            reply.Fail(ex is OperationCanceledException or TimeoutException ? PushRefusals.ClosingOnHub() : ex);
        }
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(StoppingKey, out var stopping))
        {
            ((CancellationTokenRegistration)stopping!).Dispose();
        }

        if (Context.Items.TryGetValue(ConnectionKey, out var value) && value is DeviceConnection connection)
        {
            service.Metrics.HubClosed();
            await connection.DisposeAsync();
            Log.Disconnected(logger, connection.Identity.Space, connection.Identity.DeviceId);
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
