using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>A device's writes (possibly none: a pure pull) and the cursor it has reached.</summary>
[MessagePackObject]
public sealed class SyncPush
{
    /// <summary>Always <c>sync_push</c> on the raw WebSocket; optional on the hub.</summary>
    [Key("type")]
    public string? Type { get; set; } = FrameTypes.SyncPush;

    /// <summary>The device's writes. May be empty.</summary>
    [Key("changes")]
    public List<Change> Changes { get; set; } = [];

    /// <summary>The last <c>ack_timestamp</c> the device applied; 0 or absent asks for the whole space.</summary>
    [Key("last_ack")]
    public long? LastAck { get; set; }

    /// <summary>Echoed in the answering <c>sync_ack</c> or <c>error</c>.</summary>
    [Key("request_id")]
    public string? RequestId { get; set; }

    /// <summary>
    /// The <c>epoch</c> of the frame <see cref="LastAck"/> came from, or null. When it differs from the
    /// space's, or <see cref="LastAck"/> is above the space's cursor, the answer is a reset.
    /// </summary>
    [Key("epoch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Epoch { get; set; }
}
