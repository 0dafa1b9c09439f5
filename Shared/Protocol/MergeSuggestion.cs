using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// The answer to a merge request (docs/protocol.md §4.13): the line merge of a note's two heads from the
/// version both were edited from, with git-style markers where they overlap, for a person to finish.
/// </summary>
[MessagePackObject]
public sealed class MergeSuggestion
{
    /// <summary>Always <c>"merge"</c>.</summary>
    [Key("type")]
    public string Type { get; set; } = FrameTypes.Merge;

    /// <summary>The note's key.</summary>
    [Key("key")]
    public string Key { get; set; } = "";

    /// <summary>True when the edits did not overlap (the server merges those itself unless its setting is off).</summary>
    [Key("clean")]
    public bool Clean { get; set; }

    /// <summary>The merged text, with markers where the edits overlap.</summary>
    [Key("value")]
    public string Value { get; set; } = "";

    /// <summary>The two heads merged, winner first: the base a write of the finished text names.</summary>
    [Key("base")]
    public List<VersionRef> Base { get; set; } = [];

    /// <summary>The request's <c>request_id</c>, when it had one.</summary>
    [Key("request_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestId { get; set; }
}
