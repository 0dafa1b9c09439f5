using System.Net.WebSockets;

namespace NoteSync.Client;

/// <summary>
/// The hub's WebSocket, telling <see cref="TransferProgress"/> of every fragment sent.
/// SignalR hands the socket whole messages and says nothing of one invocation's upload, so a large
/// message is sent here in fragments (one WebSocket message still), each a sign of progress.
/// </summary>
internal sealed class ProgressWebSocket(WebSocket inner, TransferProgress progress) : WebSocket
{
    private const int FragmentBytes = 16 * 1024;

    public override WebSocketCloseStatus? CloseStatus => inner.CloseStatus;

    public override string? CloseStatusDescription => inner.CloseStatusDescription;

    public override WebSocketState State => inner.State;

    public override string? SubProtocol => inner.SubProtocol;

    public override void Abort() => inner.Abort();

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        inner.CloseAsync(closeStatus, statusDescription, cancellationToken);

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

    public override void Dispose() => inner.Dispose();

    public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
        inner.ReceiveAsync(buffer, cancellationToken);

    public override ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        inner.ReceiveAsync(buffer, cancellationToken);

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        do
        {
            var fragment = buffer[..Math.Min(FragmentBytes, buffer.Length)];
            buffer = buffer[fragment.Length..];
            progress.Sending();
            try
            {
                await inner.SendAsync(fragment, messageType, endOfMessage && buffer.IsEmpty, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                progress.Sent();
            }
        }
        while (!buffer.IsEmpty);
    }
}
