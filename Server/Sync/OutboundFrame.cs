using System.Text.Json;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// A frame on its way to one or many devices. A live frame is shared by every connection of a space
/// that is at the same cursor, so its JSON is produced once, on first use, and then reused.
/// </summary>
internal sealed class OutboundFrame
{
    private ReadOnlyMemory<byte>? _json;

    private OutboundFrame(SyncAck? ack, ErrorFrame? error)
    {
        Ack = ack;
        Error = error;
    }

    /// <summary>The ack or live push, or null for an error.</summary>
    public SyncAck? Ack { get; }

    /// <summary>The error, or null for an ack.</summary>
    public ErrorFrame? Error { get; }

    /// <summary>
    /// For a live push built from a commit: when that commit returned (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>),
    /// so the write loop can measure push-to-delivery latency; 0 for every other frame.
    /// </summary>
    public long CommittedAt { get; private init; }

    public static OutboundFrame Of(SyncAck ack) => new(ack, null);

    public static OutboundFrame Live(SyncAck ack, long committedAt) => new(ack, null) { CommittedAt = committedAt };

    public static OutboundFrame Of(ErrorFrame error) => new(null, error);

    /// <summary>The frame as UTF-8 JSON. Two threads may race to build it; both build the same bytes.</summary>
    public ReadOnlyMemory<byte> Json => _json ??= Ack is not null
        ? SyncAckWriter.Write(Ack)
        : JsonSerializer.SerializeToUtf8Bytes(Error!, NoteSyncJsonContext.Wire.ErrorFrame);
}
