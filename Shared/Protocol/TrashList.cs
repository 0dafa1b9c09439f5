using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>The answer to a trash request (docs/protocol.md §4.13): the deleted notes, newest deletion first.</summary>
[MessagePackObject]
public sealed class TrashList
{
    /// <summary>Always <c>"trash"</c>.</summary>
    [Key("type")]
    public string Type { get; set; } = FrameTypes.Trash;

    /// <summary>The notes whose winner is a delete that the history holds.</summary>
    [Key("notes")]
    public List<TrashedNoteInfo> Notes { get; set; } = [];

    /// <summary>The request's <c>request_id</c>, when it had one.</summary>
    [Key("request_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestId { get; set; }
}
