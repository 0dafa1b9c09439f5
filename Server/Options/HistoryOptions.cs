using System.ComponentModel.DataAnnotations;
using NoteSync.Server.Stores;

namespace NoteSync.Server.Options;

/// <summary>How much of each note's history the store keeps: <c>NoteSync:History:*</c> (docs/operations.md).</summary>
public sealed class HistoryOptions
{
    /// <summary>
    /// The newest versions of a note kept in its history; a note's current heads are kept even beyond it.
    /// The default is 50.
    /// </summary>
    [Range(1, 10_000)]
    public int VersionsPerNote { get; set; } = 50;

    /// <summary>
    /// Versions committed this many days ago or earlier are dropped when their note is next written
    /// (heads never). 0 keeps only each note's current heads. The default is 90.
    /// </summary>
    [Range(0, 36_500)]
    public int MaxAgeDays { get; set; } = 90;

    /// <summary>
    /// The most bytes of history one space holds, counting every version's text and device id (UTF-8);
    /// beyond it the space's oldest non-head versions are dropped first, across its notes. The default is 256 MiB.
    /// </summary>
    [Range(0, 1L << 50)]
    public long MaxBytesPerSpace { get; set; } = 256L * 1024 * 1024;

    /// <summary>The most deleted notes one trash request lists, newest deletion first. The default is 500.</summary>
    [Range(1, 100_000)]
    public int TrashNotesListed { get; set; } = 500;

    /// <summary>The settings as the stores take them.</summary>
    internal HistoryLimits ToHistoryLimits() => new(VersionsPerNote, MaxAgeDays, MaxBytesPerSpace);
}
