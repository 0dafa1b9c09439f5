using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>A push after its store write: refused, or applied with what the answer must account for.</summary>
/// <param name="Error">Why it was refused (nothing applied), or null.</param>
/// <param name="Sent">The device's write per key (the last one where a key repeats), or null for a pure pull.</param>
/// <param name="Superseded">Keys whose write lost, with the state that beat it.</param>
internal sealed record AppliedPush(ErrorFrame? Error, Dictionary<string, Write>? Sent, IReadOnlyList<KeyState> Superseded)
{
    public static AppliedPush Pull { get; } = new(null, null, []);

    /// <summary>True when the push changed the store through this node, which then knows the space's clock.</summary>
    public bool Committed { get; init; }

    public static AppliedPush Refused(ErrorFrame error) => new(error, null, []);
}
