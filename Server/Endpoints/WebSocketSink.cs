using System.Net.WebSockets;
using NoteSync.Server.Sync;

namespace NoteSync.Server.Endpoints;

/// <summary>Writes frames to a raw WebSocket as text messages.</summary>
internal sealed class WebSocketSink(WebSocket socket) : IFrameSink
{
    public ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken) =>
        socket.SendAsync(frame.Json, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    public void Abort() => socket.Abort();
}
