using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// Where tests reach into a client's sync (InternalsVisibleTo): each is null in production, where
/// nothing sets it.
/// </summary>
internal sealed class SyncHooks
{
    /// <summary>Sees every push just before it is sent.</summary>
    public Action<SyncPush>? PushSending { get; set; }

    /// <summary>Called with each frame just before its transaction; throw to fail the save (as a full disk would).</summary>
    public Action<SyncAck>? BeforeFrameStored { get; set; }

    /// <summary>Return true to lose an answer after the server applied the push (as if the connection dropped).</summary>
    public Func<SyncAck, bool>? LoseAck { get; set; }
}
