using NoteSync.Server.Stores;

namespace NoteSync.Server.Fanout;

/// <summary>
/// The per-space doorbell: rung after a commit, heard by every listener of that space. A ring says
/// "the log grew to at least this cursor"; what a listener is sent comes from the log (or a frame built
/// from the commit that is in it), so a lost or coalesced ring delays a device but never loses a change. <see cref="InProcessDoorbell{TFrame}"/> serves one
/// node; <see cref="RedisDoorbell{TFrame}"/> also reaches the listeners of the other nodes on one Redis.
/// </summary>
/// <typeparam name="TFrame">
/// What a ring of this node's own commit carries to this node's listeners (the sync layer's ready live
/// push); the doorbell never looks into it. Other nodes hear the cursor, and the commit where it is small.
/// </typeparam>
internal interface IDoorbell<TFrame>
    where TFrame : class
{
    /// <summary>
    /// Tells every listener of <paramref name="space"/> that its clock reached <paramref name="cursor"/>;
    /// local listeners also get <paramref name="frame"/>. <paramref name="commit"/>, the commit that
    /// moved the clock there, may be passed on to other nodes so that they need not read it.
    /// </summary>
    void Ring(string space, long cursor, TFrame? frame, ApplyResult? commit = null);

    /// <summary>Adds a listener; disposing the result removes it.</summary>
    IDisposable Listen(string space, ISpaceListener<TFrame> listener);
}
