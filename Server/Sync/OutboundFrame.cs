using System.Text.Json;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// A frame on its way to one or many devices. A live frame is shared by every connection of a space
/// that is at the same cursor, so its JSON is produced once, on first use, and then reused.
/// </summary>
internal sealed class OutboundFrame
{
    // Published once, by reference. A ReadOnlyMemory<byte>? spans several words (array, index, length,
    // has-value flag) that are stored one by one, so a write loop reading while another thread stores it
    // could see a torn mix, such as the flag set over a zero length: a frame sent empty or cut short. A
    // reference is stored whole, so a reader sees null or a finished box; the compare-exchange is a full
    // fence, so the box's field is visible before the reference to it, and it is never written again.
    private JsonBox? _json;

    private OutboundFrame(SyncAck? ack, ErrorFrame? error)
    {
        Ack = ack;
        Error = error;
    }

    /// <summary>The ack or live push, or null for an error or a history answer.</summary>
    public SyncAck? Ack { get; }

    /// <summary>The error, or null for an ack or a history answer.</summary>
    public ErrorFrame? Error { get; }

    /// <summary>
    /// For a live push built from a commit: when that commit returned (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>),
    /// so the write loop can measure push-to-delivery latency; 0 for every other frame.
    /// </summary>
    public long CommittedAt { get; private init; }

    public static OutboundFrame Of(SyncAck ack) => new(ack, null);

    public static OutboundFrame Live(SyncAck ack, long committedAt) => new(ack, null) { CommittedAt = committedAt };

    public static OutboundFrame Of(ErrorFrame error) => new(null, error);

    /// <summary>A frame already written as JSON, neither an ack nor an error: the answer to a history request (docs/protocol.md §4.13).</summary>
    public static OutboundFrame OfJson(ReadOnlyMemory<byte> json) => new(null, null) { _json = new JsonBox(json) };

    /// <summary>
    /// The frame as UTF-8 JSON. Threads may race to build it; the first to publish wins, and every
    /// reader, the losers included, gets that one copy.
    /// </summary>
    public ReadOnlyMemory<byte> Json
    {
        get
        {
            if (Volatile.Read(ref _json) is { } built)
            {
                return built.Bytes;
            }

            var mine = new JsonBox(Ack is not null
                ? SyncAckWriter.Write(Ack)
                : JsonSerializer.SerializeToUtf8Bytes(Error!, NoteSyncJsonContext.Wire.ErrorFrame));
            return (Interlocked.CompareExchange(ref _json, mine, null) ?? mine).Bytes;
        }
    }

    private sealed class JsonBox(ReadOnlyMemory<byte> bytes)
    {
        public readonly ReadOnlyMemory<byte> Bytes = bytes;
    }
}
