using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NoteSync.Server.Limits;
using NoteSync.Server.Options;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// The one way a push enters the server, from any transport: the raw WebSocket
/// (<see cref="WebSocketSyncEndpoints"/>), the hub (<see cref="Hubs.SyncHub"/>) and <c>POST /sync</c>
/// (<see cref="HttpSyncEndpoints"/>). Transports only read frames and encode answers
/// (<see cref="PushRefusals"/>); every check is made here, in this order:
/// <list type="number">
/// <item><b>Identity</b>, once per connection (the WebSocket upgrade, the hub's connection) or request
/// (<c>POST /sync</c>): the device id, and with auth the token and its space. Refused with HTTP
/// 400/401/403 before anything is read: without it there is no budget to spend and no space to write.</item>
/// <item><b>Token expiry</b>, for each frame of a connection: a frame that arrives after <c>exp</c> is
/// not served, and the connection ends (WebSocket close 1008, hub <c>unauthorized</c>), even if the
/// timer has not fired yet. A request is checked with its token at step 1.</item>
/// <item><b>The retry-after</b>: on a connection whose last refusal was <c>rate_limited</c> with a
/// <c>retry_after_ms</c> of at least <see cref="DeviceSession.MinReadHoldMs"/>, the frame waits until
/// that has passed (at most <see cref="DeviceSession.MaxReadHoldMs"/>),
/// and the transport reads nothing meanwhile: a device that ignores the wait costs no more than one
/// that keeps it.</item>
/// <item><b>The push budget</b> (<c>NoteSync:Limits:PushesPerSecond</c>, per device and per token):
/// every frame spends one, whether or not it reads as a push, so unreadable frames are no cheaper way to
/// flood; over it the frame is answered <c>rate_limited</c> and nothing more of it is looked at, so a
/// flooding device is told to wait before it is told what else is wrong. <c>POST /sync</c> takes it
/// before reading the body: a device over its budget costs no read, and its 429 carries no
/// <c>request_id</c>.</item>
/// <item><b>Reading</b>: the frame must read as a <c>sync_push</c> (docs/protocol.md §4, error
/// messages); over HTTP, the body must also be JSON (415) and within the size limit (413).</item>
/// <item><b>Validation and the store</b> (<see cref="SyncService"/>): the push's fields, the clock
/// bound, the note bounds, the quotas; then it is applied and answered.</item>
/// </list>
/// A message over <c>NoteSync:Limits:MaxMessageBytes</c> on a connection never becomes a frame: the
/// WebSocket closes 1009 and SignalR ends the hub connection before any of this. On a connection every
/// frame, refused at any step after 3, gets exactly one answer in its turn among the others
/// (docs/protocol.md §4, ordering), which <see cref="DeviceSession"/> keeps.
/// </summary>
internal sealed class PushIntake(SyncService sync, SyncRateLimits rates, IOptions<NoteSyncOptions> options)
{
    private static readonly object IdentityKey = new();
    private readonly LimitsOptions _limits = options.Value.Limits;

    /// <summary>The largest message a transport reads (<c>NoteSync:Limits:MaxMessageBytes</c>); a bigger one never becomes a frame.</summary>
    public int MaxMessageBytes => _limits.MaxMessageBytes;

    /// <summary>Step 1 for a request or upgrade.</summary>
    public static DeviceIdentity? Identify(HttpContext context, out ProtocolError? refusal) => Identify(context, context.User, out refusal);

    /// <summary>
    /// Step 1 as <paramref name="user"/> (the hub passes its connection's). The identity is kept with the
    /// request, so the hub's connection reuses what its upgrade found.
    /// </summary>
    public static DeviceIdentity? Identify(HttpContext context, ClaimsPrincipal user, out ProtocolError? refusal)
    {
        if (context.Items.TryGetValue(IdentityKey, out var known) && known is DeviceIdentity identity)
        {
            refusal = null;
            return identity;
        }

        var resolved = DeviceIdentity.Resolve(context, user, out refusal);
        if (resolved is { } found)
        {
            context.Items[IdentityKey] = found;
        }

        return resolved;
    }

    /// <summary>Opens a live connection (step 1 done).</summary>
    /// <param name="identity">Who is on it.</param>
    /// <param name="sink">The transport's connection.</param>
    /// <param name="onExpired">Ends the connection, once, when the token expires (step 2).</param>
    /// <param name="logger">The transport's log, which the session writes to as well.</param>
    public DeviceConnection Open(DeviceIdentity identity, IFrameSink sink, Action onExpired, ILogger logger) =>
        new(identity, sink, onExpired, expiring => new DeviceSession(identity.Space, identity.DeviceId, sync, expiring, _limits, sync.Metrics, logger));

    /// <summary>Steps 2 to 5 for one frame of a connection whose answers join its outbound queue (the raw WebSocket).</summary>
    /// <returns>False when the token has expired: the connection is ending, and reads no more frames.</returns>
    public ValueTask<bool> AcceptAsync(DeviceConnection connection, PushRead read, CancellationToken cancellationToken) =>
        AcceptAsync(connection, read, connection.Session.Outbound, cancellationToken);

    /// <summary>
    /// Steps 2 to 5 for one frame of a connection; its answer goes to <paramref name="answers"/> in its
    /// turn. Returns once the frame is taken (the answer follows); waits while the connection has
    /// <see cref="DeviceSession.MaxPushesInFlight"/> frames unanswered.
    /// </summary>
    /// <returns>False when the token has expired: the connection is ending, and the frame gets no answer.</returns>
    public async ValueTask<bool> AcceptAsync(DeviceConnection connection, PushRead read, IAnswerTarget answers, CancellationToken cancellationToken)
    {
        if (connection.ExpireIfDue())
        {
            return false;
        }

        await connection.Session.WaitOutRefusalAsync(cancellationToken).ConfigureAwait(false);
        if (connection.ExpireIfDue())
        {
            return false;
        }

        if ((TakeBudget(connection.Identity, read.RequestId) ?? read.Error) is { } refused)
        {
            await connection.Session.RefuseAsync(refused, answers, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await connection.Session.SubmitAsync(read.Push!, answers, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Steps 3 to 5 for one <c>POST /sync</c>, whose identity and token were checked with the request.
    /// <paramref name="readBody"/> is called only within the budget.
    /// </summary>
    /// <returns>The answer, and for a body refused as such, its HTTP status (0: the one its code maps to).</returns>
    public async Task<(PushResult Result, int HttpStatus)> PushOnceAsync(DeviceIdentity identity, Func<CancellationToken, ValueTask<PushRead>> readBody, CancellationToken cancellationToken)
    {
        if (TakeBudget(identity, requestId: null) is { } limited)
        {
            return (PushResult.Failed(limited), 0);
        }

        var read = await readBody(cancellationToken).ConfigureAwait(false);
        if (read.Error is { } refused)
        {
            return (PushResult.Failed(refused), read.HttpStatus);
        }

        var result = await sync.PushAsync(identity.Space, identity.DeviceId, read.Push!, cancellationToken).ConfigureAwait(false);
        if (result.Ack is { } ack)
        {
            // Every poll is a connection of its own: each answer tells the limits.
            ack.Limits = _limits.ToSyncLimits();
        }

        return (result, 0);
    }

    /// <summary>
    /// A history request (docs/protocol.md §4.13) of a device whose identity and token were checked: it spends
    /// one of the device's push budget, as every frame does, then <paramref name="read"/> answers it.
    /// </summary>
    public async Task<(T? Answer, ErrorFrame? Error)> QueryAsync<T>(DeviceIdentity identity, string? requestId, Func<CancellationToken, Task<(T?, ErrorFrame?)>> read, CancellationToken cancellationToken)
        where T : class
    {
        if (TakeBudget(identity, requestId) is { } limited)
        {
            return (null, limited);
        }

        return await read(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Steps 2 to 4 for a history request on a raw WebSocket (docs/protocol.md §4.13), then its answer, queued
    /// once the history is read: it may overtake the answers of pushes sent before it.
    /// </summary>
    /// <returns>False when the token has expired: the connection is ending, and the request gets no answer.</returns>
    public async ValueTask<bool> AnswerHistoryRequestAsync(DeviceConnection connection, HistoryRequest request, ProtocolError? malformed, CancellationToken cancellationToken)
    {
        if (connection.ExpireIfDue())
        {
            return false;
        }

        await connection.Session.WaitOutRefusalAsync(cancellationToken).ConfigureAwait(false);
        if (connection.ExpireIfDue())
        {
            return false;
        }

        var identity = connection.Identity;
        var rid = request.RequestId;
        OutboundFrame answer;
        if ((TakeBudget(identity, rid) ?? malformed?.ToFrame(rid)) is { } refused)
        {
            answer = OutboundFrame.Of(refused);
        }
        else
        {
            var space = identity.Space;
            answer = request.Type switch
            {
                FrameTypes.History => Frame(await sync.ReadHistoryAsync(space, request.Key!, rid, cancellationToken).ConfigureAwait(false), NoteSyncJsonContext.Wire.NoteHistory),
                FrameTypes.Version => Frame(await sync.ReadVersionAsync(space, request.Key!, request.Timestamp, request.DeviceId!, rid, cancellationToken).ConfigureAwait(false), NoteSyncJsonContext.Wire.NoteVersion),
                FrameTypes.Merge => Frame(await sync.ReadMergeSuggestionAsync(space, request.Key!, rid, cancellationToken).ConfigureAwait(false), NoteSyncJsonContext.Wire.MergeSuggestion),
                _ => Frame(await sync.ReadTrashAsync(space, rid, cancellationToken).ConfigureAwait(false), NoteSyncJsonContext.Wire.TrashList),
            };
        }

        await connection.Session.Outbound.EnqueueAsync(answer).ConfigureAwait(false);
        return true;
    }

    private static OutboundFrame Frame<T>((T? Answer, ErrorFrame? Error) read, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class =>
        read.Answer is { } answer ? OutboundFrame.OfJson(JsonSerializer.SerializeToUtf8Bytes(answer, type)) : OutboundFrame.Of(read.Error!);

    // The device's budget is one, whatever transport it spends it on.
    private ErrorFrame? TakeBudget(DeviceIdentity identity, string? requestId) =>
        rates.TryPush(identity.Space, identity.DeviceId, identity.TokenKey, requestId);
}
