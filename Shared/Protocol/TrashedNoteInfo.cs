using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>One deleted note in a <see cref="TrashList"/>.</summary>
[MessagePackObject]
public sealed class TrashedNoteInfo
{
    /// <summary>The note's key.</summary>
    [Key("key")]
    public string Key { get; set; } = "";

    /// <summary>When the delete was committed, in Unix milliseconds.</summary>
    [Key("deleted_at")]
    public long DeletedAt { get; set; }

    /// <summary>The delete's version: the device that deleted the note and the delete's timestamp.</summary>
    [Key("deleted")]
    public VersionRef Deleted { get; set; } = new();

    /// <summary>The newest version that had text, with that text; null when the history holds none.</summary>
    [Key("last")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ConflictSibling? Last { get; set; }
}
