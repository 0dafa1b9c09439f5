using System.Text;
using NoteSync.Server.Options;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>
/// How much one note may hold at its top timestamp: writes that tie there are all kept (the winner and
/// its conflict siblings), so without a bound one device could grow a note, and every frame that
/// carries it to every device, without end by writing new values at that timestamp. A write with a
/// higher timestamp replaces them all, so a note at its bound can always be written, and resolved.
/// </summary>
/// <param name="MaxWritesPerNote"><c>NoteSync:Limits:MaxWritesPerNote</c>.</param>
/// <param name="MaxNoteBytes"><c>NoteSync:Limits:MaxNoteBytes</c>.</param>
internal sealed record NoteLimits(int MaxWritesPerNote, long MaxNoteBytes)
{
    /// <summary>The defaults of both settings.</summary>
    public static NoteLimits Default { get; } = new LimitsOptions().ToNoteLimits();

    /// <summary>
    /// A note's size as the bound counts it: the UTF-8 bytes of every write's value and device id. The
    /// Redis store's apply script counts the same bytes (Lua's string length), so both stores refuse
    /// the same writes.
    /// </summary>
    public static long SizeOf(ReadOnlySpan<Write> writes)
    {
        long bytes = 0;
        foreach (var w in writes)
        {
            bytes += Encoding.UTF8.GetByteCount(w.DeviceId) + (w.Value is null ? 0 : Encoding.UTF8.GetByteCount(w.Value));
        }

        return bytes;
    }

    /// <summary>
    /// The refusal of a write that would join a note's tied writes beyond a bound, or null when it may.
    /// Only joins are bounded: a write that replaces the note holds one value, which the push validator
    /// has already held to <c>MaxValueBytes</c>.
    /// </summary>
    public NoteLimitException? Check(int changeIndex, EntryState joined)
    {
        ArgumentNullException.ThrowIfNull(joined);
        if (joined.Writes.Length > MaxWritesPerNote)
        {
            return NoteLimitException.TooManyWrites(changeIndex, MaxWritesPerNote);
        }

        var size = SizeOf(joined.Writes);
        return size > MaxNoteBytes ? NoteLimitException.TooManyBytes(changeIndex, size, MaxNoteBytes) : null;
    }
}
