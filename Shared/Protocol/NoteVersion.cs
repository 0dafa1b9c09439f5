using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>The answer to a version request (docs/protocol.md §4.13): one version of a note with its text.</summary>
[MessagePackObject]
public sealed class NoteVersion
{
    /// <summary>Always <c>"version"</c>.</summary>
    [Key("type")]
    public string Type { get; set; } = FrameTypes.Version;

    /// <summary>The note's key.</summary>
    [Key("key")]
    public string Key { get; set; } = "";

    /// <summary>The version, as the history lists it.</summary>
    [Key("version")]
    public HistoryVersion Version { get; set; } = new();

    /// <summary>Its text; null for a delete. Always written.</summary>
    [Key("value")]
    public string? Value { get; set; }

    /// <summary>The request's <c>request_id</c>, when it had one.</summary>
    [Key("request_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestId { get; set; }
}
