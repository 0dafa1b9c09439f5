namespace NoteSync.Server.Fanout;

/// <summary>
/// The per-space doorbell: rung after a commit, heard by every listener of that space. A ring says only
/// "the log grew to at least this cursor"; listeners read the log themselves, so a lost or coalesced
/// ring delays a device but never loses a change. <see cref="InProcessDoorbell{TFrame}"/> serves one
/// node; <see cref="RedisDoorbell{TFrame}"/> also reaches the listeners of the other nodes on one Redis.
/// </summary>
/// <typeparam name="TFrame">
/// What a ring of this node's own commit carries to this node's listeners (the sync layer's ready live
/// push); the doorbell never looks into it, and other nodes hear the cursor alone.
/// </typeparam>
internal interface IDoorbell<TFrame>
    where TFrame : class
{
    /// <summary>
    /// Tells every listener of <paramref name="space"/> that its clock reached <paramref name="cursor"/>;
    /// local listeners also get <paramref name="frame"/>.
    /// </summary>
    void Ring(string space, long cursor, TFrame? frame);

    /// <summary>Adds a listener; disposing the result removes it.</summary>
    IDisposable Listen(string space, ISpaceListener<TFrame> listener);
}
