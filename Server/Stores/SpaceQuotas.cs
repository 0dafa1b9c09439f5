using System.Text;
using NoteSync.Server.Options;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>
/// How much one space may hold: without a bound one device could fill the server's disk (or Redis's
/// memory) for every space. A push is refused whole when the space would be over a quota after it
/// <em>and</em> the push grows that measure, so a push that deletes, shortens or re-sends is always
/// taken, even over a quota an operator has since lowered. Both stores check it inside the commit,
/// against counters they keep with the space (docs/architecture.md, Space quotas).
/// </summary>
/// <param name="MaxNotes"><c>NoteSync:Limits:MaxNotesPerSpace</c>.</param>
/// <param name="MaxBytes"><c>NoteSync:Limits:MaxSpaceBytes</c>.</param>
internal sealed record SpaceQuotas(long MaxNotes, long MaxBytes)
{
    /// <summary>
    /// What every entry costs beyond its strings: a fair share of its row, index entries and
    /// timestamps, so a space of many tiny or empty notes is not free.
    /// </summary>
    public const long EntryOverheadBytes = 64;

    /// <summary>The defaults of both settings.</summary>
    public static SpaceQuotas Default { get; } = new LimitsOptions().ToSpaceQuotas();

    /// <summary>
    /// An entry's size as the bytes quota counts it: the UTF-8 bytes of its key, of every write's value
    /// and device id (all the writes tied at its timestamp, as <see cref="NoteLimits.SizeOf"/> counts
    /// them), and <see cref="EntryOverheadBytes"/>. The Redis store's apply script counts the same bytes
    /// (Lua's string length), so both stores hold a space to the same size.
    /// </summary>
    public static long SizeOf(string key, ReadOnlySpan<Write> writes)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Encoding.UTF8.GetByteCount(key) + NoteLimits.SizeOf(writes) + EntryOverheadBytes;
    }

    /// <summary>What one entry adds to its space's usage; nothing for a key never written.</summary>
    public static SpaceUsage UsageOf(string key, EntryState? state) =>
        state is null ? default : new SpaceUsage(state.Winner.Value is null ? 0 : 1, SizeOf(key, state.Writes));

    /// <summary>
    /// The refusal of a push that takes the space from <paramref name="before"/> to
    /// <paramref name="after"/>, or null when it may: only a measure the push grows is held to its quota.
    /// </summary>
    public QuotaExceededException? Check(SpaceUsage before, SpaceUsage after)
    {
        if (after.Notes > MaxNotes && after.Notes > before.Notes)
        {
            return QuotaExceededException.TooManyNotes(after.Notes, MaxNotes);
        }

        return after.Bytes > MaxBytes && after.Bytes > before.Bytes ? QuotaExceededException.TooManyBytes(after.Bytes, MaxBytes) : null;
    }
}
