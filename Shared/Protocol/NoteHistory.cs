using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>The answer to a history request (docs/protocol.md §4.13): a note's versions, newest first.</summary>
[MessagePackObject]
public sealed class NoteHistory
{
    /// <summary>Always <c>"history"</c>.</summary>
    [Key("type")]
    public string Type { get; set; } = FrameTypes.History;

    /// <summary>The note's key.</summary>
    [Key("key")]
    public string Key { get; set; } = "";

    /// <summary>The versions the server's history holds, newest commit first; empty for a note with none.</summary>
    [Key("versions")]
    public List<HistoryVersion> Versions { get; set; } = [];

    /// <summary>The request's <c>request_id</c>, when it had one.</summary>
    [Key("request_id")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestId { get; set; }
}
