using Microsoft.AspNetCore.SignalR;
using NoteSync.Server.Sync;

namespace NoteSync.Server.Hubs;

/// <summary>Delivers live pushes to one SignalR connection as <c>Changes(SyncAck)</c>.</summary>
internal sealed class HubSink(ISingleClientProxy client, HubCallerContext connection) : IFrameSink
{
    /// <summary>The client method that receives live pushes.</summary>
    public const string ChangesMethod = "Changes";

    public ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken) =>
        frame.Ack is { } ack ? new ValueTask(client.SendAsync(ChangesMethod, ack, cancellationToken)) : ValueTask.CompletedTask;

    public void Abort() => connection.Abort();
}
