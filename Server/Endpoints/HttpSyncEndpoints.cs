using System.Buffers;
using Microsoft.Extensions.Options;
using NoteSync.Server.Limits;
using NoteSync.Server.Options;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// <c>POST /sync?device_id=</c>: the polling fallback (docs/protocol.md §6). The body is a <c>sync_push</c>, the
/// answer a <c>sync_ack</c>; a bad body gets HTTP 400 with an error object, a body over
/// <c>NoteSync:Limits:MaxMessageBytes</c> 413, a body that is not JSON 415, a device over
/// <c>NoteSync:Limits:PushesPerSecond</c> 429 with <c>Retry-After</c>.
/// </summary>
internal static class HttpSyncEndpoints
{
    public static IEndpointRouteBuilder MapHttpSync(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/sync", HandleAsync);
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, SyncService service, IOptions<NoteSyncOptions> options, SyncRateLimits rates)
    {
        if (DeviceIdentity.Resolve(context, out var identityError) is not { } identity)
        {
            return ErrorResults.Refuse(context, identityError!.Value);
        }

        // The device's push budget is the one its WebSocket and hub connections spend too.
        if (rates.TryPush(identity.Space, identity.DeviceId, identity.TokenKey, null) is { } limited)
        {
            context.Response.Headers.RetryAfter = SyncRateLimits.RetryAfterSeconds((int)limited.RetryAfterMs!.Value);
            return ErrorResults.Of(StatusCodes.Status429TooManyRequests, limited);
        }

        if (!context.Request.HasJsonContentType())
        {
            return ErrorResults.Of(StatusCodes.Status415UnsupportedMediaType, ProtocolError.BadRequest("the body must be application/json"));
        }

        var max = options.Value.Limits.MaxMessageBytes;

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

        SyncPush? push;
        ProtocolError? error;
        string? requestId;
        try
        {
            push = SyncPushReader.Read(body.Value.FirstSpan.Length == body.Value.Length ? body.Value.FirstSpan : body.Value.ToArray(), out error, out requestId);
        }
        finally
        {
            context.Request.BodyReader.AdvanceTo(body.Value.End);
        }

        if (push is null)
        {
            return ErrorResults.Of(StatusCodes.Status400BadRequest, error!.Value, requestId);
        }

        var result = await service.PushAsync(identity.Space, identity.DeviceId, push, context.RequestAborted);
        if (result.Ack is { } ack)
        {
            // Every poll is a connection of its own: each answer tells the limits.
            ack.Limits = options.Value.Limits.ToSyncLimits();
            return Results.Json(ack, NoteSyncJsonContext.Wire.SyncAck);
        }

        return ErrorResults.Of(ErrorResults.StatusFor(result.Error!.Code), result.Error);
    }

    private const long KestrelCapMargin = 1024 * 1024;

    private static IResult TooLarge(int max) =>
        ErrorResults.Of(StatusCodes.Status413PayloadTooLarge, ProtocolError.TooLarge($"the body must be at most {max} bytes"));

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
