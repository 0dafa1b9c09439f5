using System.ComponentModel.DataAnnotations;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Options;

/// <summary>Limits on what a device may send and how far it may fall behind: <c>NoteSync:Limits:*</c>.</summary>
public sealed class LimitsOptions
{
    /// <summary>The largest incoming message (WebSocket frame, hub message, HTTP body). Larger: WebSocket close 1009. The default is 16 MiB.</summary>
    [Range(1024, 1024L * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The most changes in one push (<c>too_large</c> beyond). The default is 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxChangesPerPush { get; set; } = 10_000;

    /// <summary>The largest note value in UTF-8 bytes (<c>too_large</c> beyond). The default is 1 MiB.</summary>
    [Range(1, 256 * 1024 * 1024)]
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many frames may wait to be sent to one connection. Live pushes fill at most half of it;
    /// beyond that they wait in the log and go out as one frame once the device has read the queue
    /// down. A device whose answers fill it is disconnected; it catches up by <c>last_ack</c> when it
    /// returns. The default is 64.
    /// </summary>
    [Range(1, 100_000)]
    public int SendQueueFrames { get; set; } = 64;

    /// <summary>
    /// How long a device may read nothing while frames wait for it before it is disconnected (it
    /// stopped reading). A device that reads slowly is not cut: it gets fewer, larger frames. The
    /// default is 30,000 ms.
    /// </summary>
    [Range(100, 3_600_000)]
    public int SendStallMs { get; set; } = 30_000;

    /// <summary>The limits as the protocol validator takes them.</summary>
    public ProtocolLimits ToProtocolLimits() => new() { MaxChangesPerPush = MaxChangesPerPush, MaxValueBytes = MaxValueBytes };
}
