using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// A change's <c>replaced</c> (docs/protocol.md §4.6): which versions of the key are replaced, so that a
/// replica joining the state drops them and never takes them back. Left out when it says no more than
/// the rule of §2 does: everything below the winner's timestamp.
/// </summary>
[MessagePackObject]
public sealed class ReplacedRef
{
    /// <summary>Every version with a lower timestamp is replaced.</summary>
    [Key("floor")]
    public long Floor { get; set; }

    /// <summary>Per device, the highest timestamp a base named: that version and every earlier one of the device are replaced.</summary>
    [Key("named")]
    public List<VersionRef> Named { get; set; } = [];
}
