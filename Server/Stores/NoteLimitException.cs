namespace NoteSync.Server.Stores;

/// <summary>
/// A push was refused whole (<c>too_large</c>) because a change would have joined a note's tied writes
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

    /// <summary>The refusal of a change that would give its note more than <paramref name="maxWrites"/> tied writes.</summary>
    public static NoteLimitException TooManyWrites(int changeIndex, int maxWrites) =>
        new($"changes[{changeIndex}] would give its note more than {maxWrites} versions at one timestamp (NoteSync:Limits:MaxWritesPerNote); write it with a higher timestamp, which replaces them all");

    /// <summary>The refusal of a change that would make its note's tied writes <paramref name="size"/> bytes.</summary>
    public static NoteLimitException TooManyBytes(int changeIndex, long size, long maxBytes) =>
        new($"changes[{changeIndex}] would make its note's versions at one timestamp {size} bytes, more than {maxBytes} (NoteSync:Limits:MaxNoteBytes); write it with a higher timestamp, which replaces them all");
}
