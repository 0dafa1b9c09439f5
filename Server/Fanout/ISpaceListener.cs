namespace NoteSync.Server.Fanout;

/// <summary>Something that wants to know when a space's log has grown (a connected device).</summary>
internal interface ISpaceListener
{
    /// <summary>The space's clock reached at least <paramref name="cursor"/>. Must return quickly; never throws.</summary>
    void OnSpaceAdvanced(long cursor);
}
