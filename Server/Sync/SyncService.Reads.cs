using System.Runtime.CompilerServices;
using NoteSync.Server.Limits;
using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// What the node sends for a space, and what it costs the space: live frames and answer pages, read
/// from the space's recent window or, in the space's turn, from the store, and charged to its budget.
/// </summary>
internal sealed partial class SyncService
{
    /// <summary>
    /// The live push for a device at <paramref name="after"/>, or null when it has everything. Devices
    /// of a space that are at the same cursor share one frame, serialized once.
    /// </summary>
    public async Task<LiveFrame?> GetLiveFrameAsync(string space, long after, CancellationToken cancellationToken = default)
    {
        if (recent.LiveFrameFor(space, after) is { } shared)
        {
            return shared;
        }

        var page = await ReadAsync(space, after, _sync.MaxChangesPerAck, _sync.MaxChangesPerAck, cancellationToken).ConfigureAwait(false);
        if (page.Entries.Count == 0)
        {
            return null;
        }

        // Charged by each session that sends it (SentLive), not here: frames are shared.
        var changes = ToChanges(page.Entries, null, [], out var bytes);
        var frame = new LiveFrame(after, page.Cursor, page.More, OutboundFrame.Of(new SyncAck
        {
            AckTimestamp = page.Cursor,
            Changes = changes,
            More = page.More,
            Epoch = page.Epoch,
        }))
        { Bytes = bytes };
        recent.RememberLiveFrame(space, frame);
        return frame;
    }

    /// <summary>
    /// A page after <paramref name="after"/>: from memory when the space's window answers exactly (up to
    /// <paramref name="maxChanges"/>), else from the store (up to <paramref name="maxStoreChanges"/>) in
    /// the space's turn (<see cref="SpaceReadGate"/>), so a space's reads queue behind its own only.
    /// </summary>
    private async Task<ChangePage> ReadAsync(string space, long after, int maxChanges, int maxStoreChanges, CancellationToken cancellationToken)
    {
        if (recent.TryRead(space, after, maxChanges, _pageBytes, out var cached))
        {
            return cached;
        }

        using (await _reads.EnterAsync(space, cancellationToken).ConfigureAwait(false))
        {
            // A read of the same space that held the turn may have filled the window meanwhile.
            if (recent.TryRead(space, after, maxChanges, _pageBytes, out cached))
            {
                return cached;
            }

            var page = await store.ReadSinceAsync(space, after, maxStoreChanges, _pageBytes, cancellationToken).ConfigureAwait(false);
            recent.OnRead(space, after, page);
            return page;
        }
    }

    /// <summary>
    /// A write's answer does not carry the device's own writes back (<see cref="ToChanges(IReadOnlyList{StoredEntry}, Dictionary{string, Write}, IReadOnlyList{KeyState}, out long)"/>),
    /// so a page of them is a page of nothing: the answer reads on past them until what it carries fills
    /// a page (or <paramref name="room"/> changes). Otherwise a push larger than a page was answered with
    /// <c>more</c>, and the pulls that followed brought the device's own writes back to it, each charged
    /// to its space's budget. Bounded by the push's own size plus a page. Returns the page with how many
    /// of its entries the answer carries, and about how many bytes.
    /// </summary>
    private async Task<(ChangePage Page, int Count, long Bytes)> ReadPastOwnWritesAsync(string space, ChangePage page, Dictionary<string, Write>? sent, int room, int storeRoom, CancellationToken cancellationToken)
    {
        var (count, bytes) = Outgoing(page.Entries, sent);
        if (sent is null || !page.More || storeRoom < room)
        {
            return (page, count, bytes);
        }

        var entries = new List<StoredEntry>(page.Entries);
        while (page.More && count < room && bytes < _pageBytes)
        {
            var next = await ReadAsync(space, page.Cursor, room - count, storeRoom - count, cancellationToken).ConfigureAwait(false);
            if (next.Epoch != page.Epoch)
            {
                // The space's history was renamed between the two reads: the next answer tells the device.
                break;
            }

            // The device's own writes cost the answer nothing; the rest go in while they fit the page.
            var taken = 0;
            foreach (var e in next.Entries)
            {
                if (!IsOwnWrite(e, sent))
                {
                    if (bytes + e.EstimatedWireBytes > _pageBytes)
                    {
                        break;
                    }

                    (count, bytes) = (count + 1, bytes + e.EstimatedWireBytes);
                }

                entries.Add(e);
                taken++;
            }

            if (taken < next.Entries.Count)
            {
                return (new ChangePage(entries, entries[^1].Seq, More: true) { Epoch = page.Epoch }, count, bytes);
            }

            page = next with { Entries = entries };
        }

        return (page, count, bytes);
    }

    // The device already holds what it just sent; only a different outcome goes back.
    private static bool IsOwnWrite(StoredEntry entry, Dictionary<string, Write>? sent) =>
        sent is not null && sent.TryGetValue(entry.Key, out var mine) && entry.State.IsExactly(mine);

    // How many of the entries an answer carries (all but the device's own writes, as ToChanges), and about how many bytes.
    private static (int Count, long Bytes) Outgoing(IReadOnlyList<StoredEntry> entries, Dictionary<string, Write>? sent)
    {
        var (count, bytes) = (0, 0L);
        foreach (var e in entries)
        {
            if (!IsOwnWrite(e, sent))
            {
                (count, bytes) = (count + 1, bytes + e.EstimatedWireBytes);
            }
        }

        return (count, bytes);
    }

    /// <summary>True while <paramref name="space"/> has been sent more than its budget (<see cref="PullBudget"/>), with the wait.</summary>
    public bool IsPullBudgetSpent(string space, out int retryAfterMs) => pulls.IsSpent(space, out retryAfterMs);

    /// <summary>Charges a live push of <paramref name="bytes"/> queued to one device of <paramref name="space"/>.</summary>
    public void SentLive(string space, long bytes) => pulls.Served(space, bytes);

    /// <summary>The start of the <c>rate_limited</c> message refusing a pull of a space over its budget (docs/protocol.md §4.9).</summary>
    public const string PullSpentMessage = "too many bytes read from this space";

    /// <summary>The start of the <c>rate_limited</c> message refusing a write to a space over its budget (docs/protocol.md §4.9).</summary>
    public const string PushSpentMessage = "too many bytes sent for this space";

    private bool FitsOnePage(IReadOnlyList<StoredEntry> entries)
    {
        if (entries.Count > _sync.MaxChangesPerAck)
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

    /// <summary>
    /// The winners of a push's lost writes, in order, as many as fit in <paramref name="maxChanges"/>
    /// and <paramref name="maxBytes"/>. The rest are left out: a device that merges what it receives
    /// (docs/protocol.md §8) holds them already, since a winner is either after its last_ack (this page
    /// or the next brings it) or at or before it (it was sent then); echoing them all would make an
    /// answer of unbounded size.
    /// </summary>
    private static IReadOnlyList<KeyState> WinnersWithin(IReadOnlyList<KeyState> superseded, int maxChanges, long maxBytes)
    {
        long bytes = 0;
        for (var i = 0; i < superseded.Count; i++)
        {
            bytes += new StoredEntry(superseded[i].Key, 0, superseded[i].State).EstimatedWireBytes;
            if (i >= maxChanges || bytes > maxBytes)
            {
                return superseded.Take(i).ToList();
            }
        }

        return superseded;
    }

    private static List<Change> ToChanges(IReadOnlyList<StoredEntry> entries, Dictionary<string, Write>? sent, IReadOnlyList<KeyState> superseded) =>
        ToChanges(entries, sent, superseded, out _);

    /// <summary>The changes of a frame, and in <paramref name="bytes"/> about what its entries weigh on the wire.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static List<Change> ToChanges(IReadOnlyList<StoredEntry> entries, Dictionary<string, Write>? sent, IReadOnlyList<KeyState> superseded, out long bytes)
    {
        bytes = 0;
        var changes = new List<Change>(entries.Count + superseded.Count);

        // A write that lost comes back as the state that beat it, even when that state is older than
        // the device's last_ack (the device holds its own write, not the winner).
        if (superseded.Count > 0)
        {
            var inPage = entries.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var lost in superseded)
            {
                if (!inPage.Contains(lost.Key))
                {
                    changes.Add(lost.State.ToChange(lost.Key));
                    bytes += new StoredEntry(lost.Key, 0, lost.State).EstimatedWireBytes;
                }
            }
        }

        foreach (var e in entries)
        {
            if (IsOwnWrite(e, sent))
            {
                continue;
            }

            changes.Add(e.State.ToChange(e.Key));
            bytes += e.EstimatedWireBytes;
        }

        return changes;
    }
}
