using System.Buffers;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// <c>POST /sync?device_id=</c>: the polling fallback (docs/protocol.md §6). The body is a <c>sync_push</c>, the
/// answer a <c>sync_ack</c>; a bad body gets HTTP 400 with an error object, a body over
/// <c>NoteSync:Limits:MaxMessageBytes</c> 413, a body that is not JSON 415, a device over
/// <c>NoteSync:Limits:PushesPerSecond</c> 429 with <c>Retry-After</c>. The body is read here and
/// checked, in the order every transport shares, by <see cref="PushIntake"/>.
/// </summary>
internal static class HttpSyncEndpoints
{
    public static IEndpointRouteBuilder MapHttpSync(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(ServerPaths.Http, HandleAsync);
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, PushIntake intake)
    {
        if (PushIntake.Identify(context, out var identityError) is not { } identity)
        {
            return ErrorResults.Refuse(context, identityError!.Value);
        }

        var (result, status) = await intake.PushOnceAsync(identity, _ => ReadPushAsync(context, intake.MaxMessageBytes), context.RequestAborted);
        return result.Ack is { } ack
            ? Results.Json(ack, NoteSyncJsonContext.Wire.SyncAck)
            : PushRefusals.OnHttp(context, result.Error!, status);
    }

    private static async ValueTask<PushRead> ReadPushAsync(HttpContext context, int max)
    {
        if (!context.Request.HasJsonContentType())
        {
            return PushRead.Refused(ProtocolError.BadRequest("the body must be application/json"), StatusCodes.Status415UnsupportedMediaType);
        }

        var (fits, read) = await RequestBodies.ReadAsync(context, max, body =>
        {
            var push = SyncPushReader.Read(body.FirstSpan.Length == body.Length ? body.FirstSpan : body.ToArray(), out var error, out var requestId);
            return PushRead.Of(push, error, requestId);
        });
        return fits ? read : TooLarge(max);
    }

    private static PushRead TooLarge(int max) =>
        PushRead.Refused(ProtocolError.TooLarge($"the body must be at most {max} bytes"), StatusCodes.Status413PayloadTooLarge);
}
