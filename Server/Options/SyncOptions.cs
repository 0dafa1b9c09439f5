using System.ComponentModel.DataAnnotations;

namespace NoteSync.Server.Options;

/// <summary>Paging and fan-out: <c>NoteSync:Sync:*</c>.</summary>
public sealed class SyncOptions
{
    /// <summary>
    /// Whether the server merges two concurrent edits of a note's text that changed different lines
    /// (docs/protocol.md §2.3). Off, such edits stay a conflict for a person to resolve. The default is on.
    /// </summary>
    public bool AutoMerge { get; set; } = true;

    /// <summary>The most changes in one <c>sync_ack</c>. The default is 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxChangesPerAck { get; set; } = 10_000;

    /// <summary>About the most bytes of changes in one <c>sync_ack</c> (at least one change is always sent). The default is 8 MiB.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxAckBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// About the most bytes of changes in one page read for an answer, a pull, a catch-up or a live push
    /// (at least one change is always read, so a note larger than a page is a page of its own, up to
    /// <see cref="MaxAckBytes"/>); <see cref="MaxAckBytes"/> when that is smaller. A page is read, encoded
    /// and sent in one go: an 8 MiB page held a core for tens of milliseconds and made every other space
    /// wait, where small pages interleave with their work, and a device catching up receives one page
    /// while the next is read. A page of 64 KiB is encoded in a buffer under the runtime's large-object
    /// threshold: with them a pull loop within its budget left another space's p99 where it was, where
    /// 512 KiB pages doubled it (docs/benchmarks.md, Abuse from another space). The default is 64 KiB.
    /// </summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long PageBytes { get; set; } = 64L * 1024;

    /// <summary>How many recent changes per space are kept in memory to serve live pushes without a store read. The default is 4096.</summary>
    [Range(0, 10_000_000)]
    public int RecentChangesPerSpace { get; set; } = 4096;

    /// <summary>
    /// The most bytes of recent changes kept per space (each counted at its size in a frame): the oldest
    /// go first past it, as past <see cref="RecentChangesPerSpace"/>, and reads from before them go to the
    /// store. Without it 4,096 changes of large notes could hold gigabytes. The default is 16 MiB.
    /// </summary>
    [Range(0, 1L << 40)]
    public long RecentChangesBytesPerSpace { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// With <c>Store=redis</c>: how often, in milliseconds, a node reads the clock of every space it has
    /// live devices in, and wakes them when the clock moved without a doorbell message reaching the node
    /// (pub/sub is at-most-once). The most a lost message delays a device; a node also checks as soon as
    /// its Redis connection comes back. The default is 1000.
    /// </summary>
    [Range(50, 60_000)]
    public int HeadCheckIntervalMs { get; set; } = 1000;
}
