using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>A head other than the winner whose value differs from the winner's (docs/protocol.md §2).</summary>
[MessagePackObject]
public sealed class ConflictSibling
{
    /// <summary>The sibling's content, or <see langword="null"/> for a delete.</summary>
    [Key("value")]
    public string? Value { get; set; }

    /// <summary>The sibling's Lamport timestamp: the winner's, or lower when the sibling is an edit that did not see the winner.</summary>
    [Key("timestamp")]
    public long Timestamp { get; set; }

    /// <summary>The device that wrote the sibling.</summary>
    [Key("device_id")]
    [JsonPropertyName("device_id")]
    public string DeviceId { get; set; } = "";
}
