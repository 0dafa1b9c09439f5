namespace NoteSync.Server.Fanout;

/// <summary>Something that wants to know when a space's log has grown (a connected device).</summary>
internal interface ISpaceListener<in TFrame>
    where TFrame : class
{
    /// <summary>
    /// The space's clock reached at least <paramref name="cursor"/>. <paramref name="frame"/> is what the
    /// ring of a commit of this node carried (null for a ring from elsewhere). Must return quickly; never throws.
    /// </summary>
    void OnSpaceAdvanced(long cursor, TFrame? frame);
}
