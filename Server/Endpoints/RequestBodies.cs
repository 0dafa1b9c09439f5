using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// How an HTTP endpoint reads a body under a size limit of its own (<c>POST /sync</c>,
/// <c>POST /sync/render</c>): a declared length over it is refused before reading, a chunked body as soon
/// as it passes it.
/// </summary>
internal static class RequestBodies
{
    private const long KestrelCapMargin = 1024 * 1024;

    /// <summary>
    /// Reads the whole body and gives it to <paramref name="read"/> while the reader still holds it (no
    /// copy); <c>Fits</c> is false, and <paramref name="read"/> not called, when it exceeds <paramref name="max"/> bytes.
    /// </summary>
    public static async ValueTask<(bool Fits, T? Result)> ReadAsync<T>(HttpContext context, int max, Func<ReadOnlySequence<byte>, T> read)
    {
        // Kestrel's own cap (30 MB by default) would otherwise override ours in either direction.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            // Set above ours by a margin, so that a chunked body over ours is seen by ReadBodyAsync (a 413
            // with the error object) before Kestrel's cap throws.
            bodySize.MaxRequestBodySize = max + KestrelCapMargin;
        }

        if (context.Request.ContentLength > max)
        {
            return (false, default);
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
            return (false, default);
        }

        try
        {
            return (true, read(body.Value));
        }
        finally
        {
            context.Request.BodyReader.AdvanceTo(body.Value.End);
        }
    }

    // Returns the whole body still held by the reader (the caller advances past it), or null when it exceeds max.
    private static async Task<ReadOnlySequence<byte>?> ReadBodyAsync(PipeReader reader, int max, CancellationToken cancellationToken)
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
