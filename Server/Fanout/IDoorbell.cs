using NoteSync.Server.Sync;

namespace NoteSync.Server.Fanout;

/// <summary>
/// The per-space doorbell: rung after a commit, heard by every listener of that space. A ring says only
/// "the log grew to at least this cursor"; listeners read the log themselves, so a lost or coalesced
/// ring delays a device but never loses a change. In-process now; a Redis pub/sub doorbell reaches the
/// listeners of other nodes.
/// </summary>
internal interface IDoorbell
{
    /// <summary>
    /// Tells every listener of <paramref name="space"/> that its clock reached <paramref name="cursor"/>;
    /// local listeners also get <paramref name="frame"/>, the commit as a ready live push.
    /// </summary>
    void Ring(string space, long cursor, LiveFrame? frame);

    /// <summary>Adds a listener; disposing the result removes it.</summary>
    IDisposable Listen(string space, ISpaceListener listener);
}
