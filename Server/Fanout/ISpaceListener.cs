using NoteSync.Server.Sync;

namespace NoteSync.Server.Fanout;

/// <summary>Something that wants to know when a space's log has grown (a connected device).</summary>
internal interface ISpaceListener
{
    /// <summary>
    /// The space's clock reached at least <paramref name="cursor"/>. <paramref name="frame"/>, when the
    /// ring comes from a commit of this node, is that commit as a live push (from its previous cursor):
    /// a listener exactly there can send it as it is. Must return quickly; never throws.
    /// </summary>
    void OnSpaceAdvanced(long cursor, LiveFrame? frame);
}
