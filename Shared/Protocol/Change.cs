using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// One entry of the LWW map as it travels on the wire: in a <c>sync_push</c> a device's write, in a
/// <c>sync_ack</c> the entry's current state (the winner, its conflict siblings, the other heads and what they replaced).
/// </summary>
[MessagePackObject]
public sealed class Change
{
    /// <summary>The entry's key, <c>note:&lt;path&gt;</c>, at most 1024 UTF-8 bytes.</summary>
    [Key("key")]
    public string Key { get; set; } = "";

    /// <summary>The note's content, or <see langword="null"/> for a delete (a tombstone). Always written, even when null.</summary>
    [Key("value")]
    public string? Value { get; set; }

    /// <summary>The writing device's Lamport timestamp, 1 .. 2^53-1.</summary>
    [Key("timestamp")]
    public long Timestamp { get; set; }

    /// <summary>The writing device. In a push it may be left out; the server fills in the connection's device.</summary>
    [Key("device_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DeviceId { get; set; }

    /// <summary>True while the entry holds more than one distinct value at its highest timestamp. Omitted when false.</summary>
    [Key("conflict")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Conflict { get; set; }

    /// <summary>The siblings: the other heads whose value differs from the winner's, best first. Null unless <see cref="Conflict"/>.</summary>
    [Key("conflicts")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<ConflictSibling>? Conflicts { get; set; }

    /// <summary>
    /// In a push, the versions the write was edited from (docs/protocol.md §2.2): <c>[]</c> for a note
    /// created from nothing, null (left out) for a write under the timestamp rule alone. Never sent by the server.
    /// </summary>
    [Key("base")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<VersionRef>? Base { get; set; }

    /// <summary>In a <c>sync_ack</c>, the other heads that hold the winner's value; null when there are none.</summary>
    [Key("also")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<VersionRef>? Also { get; set; }

    /// <summary>In a <c>sync_ack</c>, which versions are replaced; null when it is everything below the winner's timestamp.</summary>
    [Key("replaced")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ReplacedRef? Replaced { get; set; }
}
