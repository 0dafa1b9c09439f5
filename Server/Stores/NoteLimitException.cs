namespace NoteSync.Server.Stores;

/// <summary>
/// A push was refused whole (<c>too_large</c>) because a change would have joined a note's heads
/// beyond <see cref="NoteLimits"/>; nothing of it was applied. Checked by the store inside the commit,
/// against the note as it stands there, so no interleaving of pushes can get round it.
/// </summary>
internal sealed class NoteLimitException : InvalidOperationException
{
    public NoteLimitException()
    {
    }

    public NoteLimitException(string message)
        : base(message)
    {
    }

    public NoteLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The refusal of a change that would give its note more than <paramref name="maxWrites"/> heads.</summary>
    public static NoteLimitException TooManyWrites(int changeIndex, int maxWrites) =>
        new($"changes[{changeIndex}] would give its note more than {maxWrites} versions kept side by side (NoteSync:Limits:MaxWritesPerNote); resolve the note first: a write whose base names them all, or a write without base above them all, replaces them");

    /// <summary>The refusal of a change that would make its note's heads <paramref name="size"/> bytes.</summary>
    public static NoteLimitException TooManyBytes(int changeIndex, long size, long maxBytes) =>
        new($"changes[{changeIndex}] would make its note's versions kept side by side {size} bytes, more than {maxBytes} (NoteSync:Limits:MaxNoteBytes); resolve the note first: a write whose base names them all, or a write without base above them all, replaces them");
}
