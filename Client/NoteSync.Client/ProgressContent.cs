using System.Net;
using System.Net.Http.Headers;

namespace NoteSync.Client;

/// <summary>A request body written in chunks, each told to <see cref="TransferProgress"/>, so a stalled upload is seen as one.</summary>
internal sealed class ProgressContent : HttpContent
{
    private const int ChunkBytes = 16 * 1024;
    private readonly byte[] _body;
    private readonly TransferProgress _progress;

    public ProgressContent(byte[] body, string mediaType, TransferProgress progress)
    {
        _body = body;
        _progress = progress;
        Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < _body.Length; offset += ChunkBytes)
        {
            _progress.Sending();
            try
            {
                await stream.WriteAsync(_body.AsMemory(offset, Math.Min(ChunkBytes, _body.Length - offset)), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _progress.Sent();
            }
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _body.Length;
        return true;
    }
}
