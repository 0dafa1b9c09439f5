namespace NoteSync.Server.Stores;

/// <summary>
/// A push was refused whole (<c>quota_exceeded</c>) because it would take its space over a quota of
/// <see cref="SpaceQuotas"/>; nothing of it was applied. The device keeps its writes and sends them
/// again once room is made (docs/protocol.md, error messages).
/// </summary>
internal sealed class QuotaExceededException : InvalidOperationException
{
    public QuotaExceededException()
    {
    }

    public QuotaExceededException(string message)
        : base(message)
    {
    }

    public QuotaExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The refusal of a push after which the space would hold <paramref name="notes"/> notes.</summary>
    public static QuotaExceededException TooManyNotes(long notes, long maxNotes) =>
        new($"the space would hold {notes} notes, more than NoteSync:Limits:MaxNotesPerSpace ({maxNotes}); delete notes to make room");

    /// <summary>The refusal of a push after which the space would hold <paramref name="bytes"/> bytes.</summary>
    public static QuotaExceededException TooManyBytes(long bytes, long maxBytes) =>
        new($"the space would hold {bytes} bytes, more than NoteSync:Limits:MaxSpaceBytes ({maxBytes}); delete notes or shorten them to make room");
}
