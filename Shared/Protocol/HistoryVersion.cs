using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>One version of a note in a <see cref="NoteHistory"/>, without its text.</summary>
[MessagePackObject]
public sealed class HistoryVersion
{
    /// <summary>The version's Lamport timestamp; with <see cref="DeviceId"/> it names the version.</summary>
    [Key("timestamp")]
    public long Timestamp { get; set; }

    /// <summary>The device that wrote it.</summary>
    [Key("device_id")]
    public string DeviceId { get; set; } = "";

    /// <summary>When the server committed it, in Unix milliseconds (wall-clock, for people; never used to merge).</summary>
    [Key("committed_at")]
    public long CommittedAt { get; set; }

    /// <summary>The UTF-8 bytes of its text (0 for a delete).</summary>
    [Key("bytes")]
    public long Bytes { get; set; }

    /// <summary>True for a delete.</summary>
    [Key("deleted")]
    public bool Deleted { get; set; }

    /// <summary>True while it is one of the note's heads (the winner, a sibling or an <c>also</c> head).</summary>
    [Key("head")]
    public bool Head { get; set; }

    /// <summary>The versions it was edited from; null for a write without base.</summary>
    [Key("base")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<VersionRef>? Base { get; set; }
}
