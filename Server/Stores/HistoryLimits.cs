using NoteSync.Server.Options;

namespace NoteSync.Server.Stores;

/// <summary>
/// How much history a store keeps (<c>NoteSync:History:*</c>). A version leaves a note's history only by
/// these rules, applied inside the commit that adds a version, so history never grows without bound and
/// no background job is needed; a note's current heads are never dropped.
/// </summary>
/// <param name="VersionsPerNote">The newest versions of a note kept (heads beyond them are kept too).</param>
/// <param name="MaxAgeDays">Versions committed this many days ago or earlier are dropped when their note is next written; 0 keeps only heads.</param>
/// <param name="MaxBytesPerSpace">The most bytes of history a space holds (texts and device ids); beyond it the space's oldest non-head versions go first.</param>
internal sealed record HistoryLimits(int VersionsPerNote, int MaxAgeDays, long MaxBytesPerSpace)
{
    /// <summary>The defaults of the three settings.</summary>
    public static HistoryLimits Default { get; } = new HistoryOptions().ToHistoryLimits();

    /// <summary><see cref="MaxAgeDays"/> in milliseconds.</summary>
    public long MaxAgeMs => MaxAgeDays * 86_400_000L;
}
