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

        // Kestrel's own cap (30 MB by default) would otherwise override ours in either direction.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            // Set above ours by a margin, so that a chunked body over ours is seen by ReadBodyAsync (a 413
            // with the error object) before Kestrel's cap throws.
            bodySize.MaxRequestBodySize = max + KestrelCapMargin;
        }

        if (context.Request.ContentLength > max)
        {
            return TooLarge(max);
        }

        ReadOnlySequence<byte>? body;
        try
        {
            body = await ReadBodyAsync(context.Request.BodyReader, max, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // A chunked body that went past Kestrel's cap in one read: too large all the same.
            body = null;
        }

        if (body is null)
        {
            return TooLarge(max);
        }

        try
        {
            var push = SyncPushReader.Read(body.Value.FirstSpan.Length == body.Value.Length ? body.Value.FirstSpan : body.Value.ToArray(), out var error, out var requestId);
            return PushRead.Of(push, error, requestId);
        }
        finally
        {
            context.Request.BodyReader.AdvanceTo(body.Value.End);
        }
    }

    private const long KestrelCapMargin = 1024 * 1024;

    private static PushRead TooLarge(int max) =>
        PushRead.Refused(ProtocolError.TooLarge($"the body must be at most {max} bytes"), StatusCodes.Status413PayloadTooLarge);

    // Returns the whole body still held by the reader (the caller advances past it), or null when it exceeds max.
    private static async Task<ReadOnlySequence<byte>?> ReadBodyAsync(System.IO.Pipelines.PipeReader reader, int max, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            if (read.Buffer.Length > max)
            {
                reader.AdvanceTo(read.Buffer.End);
                return null;
            }

            if (read.IsCompleted)
            {
                return read.Buffer;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
