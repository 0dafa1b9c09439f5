using Microsoft.Extensions.Options;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// What a node does with a commit, its own or another node's that a ring carried: records it in the
/// space's window of recent changes and builds, once, the live push it is for every device at its
/// previous cursor, which those devices send as it is (serialized once, on first send).
/// </summary>
internal sealed class CommitFrames(RecentChanges recent, IOptions<NoteSyncOptions> options)
{
    private readonly int _maxChanges = options.Value.Sync.MaxChangesPerAck;

    private readonly long _pageBytes = Math.Min(options.Value.Sync.PageBytes, options.Value.Sync.MaxAckBytes);

    /// <summary>
    /// Records <paramref name="applied"/> and returns its live push, or null for a commit larger than one
    /// page, which the pumps page. <paramref name="committedAt"/> (a <see cref="System.Diagnostics.Stopwatch"/>
    /// timestamp) is when it was committed, for the delivery latency; 0 when unknown (another node's).
    /// </summary>
    public LiveFrame? Take(string space, ApplyResult applied, long committedAt)
    {
        recent.OnApplied(space, applied);
        if (!FitsOnePage(applied.Changed))
        {
            return null;
        }

        var changes = SyncService.ToChanges(applied.Changed, null, [], out var bytes);
        var frame = new LiveFrame(applied.PreviousCursor, applied.Cursor, false, OutboundFrame.Live(new SyncAck
        {
            AckTimestamp = applied.Cursor,
            Changes = changes,
            Epoch = applied.Epoch,
        }, committedAt))
        { Bytes = bytes };
        recent.RememberLiveFrame(space, frame);
        return frame;
    }

    /// <summary>A commit of another node that its ring carried: as <see cref="Take"/>, with no commit time.</summary>
    public LiveFrame? TakeFromElsewhere(string space, ApplyResult applied) => Take(space, applied, 0);

    private bool FitsOnePage(IReadOnlyList<StoredEntry> entries)
    {
        if (entries.Count > _maxChanges)
        {
            return false;
        }

        long bytes = 0;
        foreach (var e in entries)
        {
            bytes += e.EstimatedWireBytes;
        }

        return entries.Count == 1 || bytes <= _pageBytes;
    }
}
