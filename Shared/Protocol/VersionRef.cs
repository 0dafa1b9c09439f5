using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// Names one version of a note on the wire (docs/protocol.md §2.2): an item of a change's <c>base</c>,
/// of <c>also</c>, and of <c>replaced.named</c>.
/// </summary>
[MessagePackObject]
public sealed class VersionRef
{
    /// <summary>The version's Lamport timestamp.</summary>
    [Key("timestamp")]
    public long Timestamp { get; set; }

    /// <summary>The device that wrote the version.</summary>
    [Key("device_id")]
    [JsonPropertyName("device_id")]
    public string DeviceId { get; set; } = "";
}
