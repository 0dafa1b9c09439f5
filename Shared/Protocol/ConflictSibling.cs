using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>A write that lost to the winner at the same timestamp while carrying a different value.</summary>
[MessagePackObject]
public sealed class ConflictSibling
{
    /// <summary>The sibling's content, or <see langword="null"/> for a delete.</summary>
    [Key("value")]
    public string? Value { get; set; }

    /// <summary>The sibling's Lamport timestamp (equal to the winner's).</summary>
    [Key("timestamp")]
    public long Timestamp { get; set; }

    /// <summary>The device that wrote the sibling.</summary>
    [Key("device_id")]
    [JsonPropertyName("device_id")]
    public string DeviceId { get; set; } = "";
}
