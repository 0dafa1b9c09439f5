using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>An entry as the log holds it: its key, the <c>seq</c> of its last change, and its state.</summary>
/// <param name="Key">The entry's key.</param>
/// <param name="Seq">The cursor value given to the entry's last change.</param>
/// <param name="State">The entry's current state.</param>
public sealed record StoredEntry(string Key, long Seq, EntryState State)
{
    /// <summary>
    /// A cheap upper-bound estimate of the entry's size in a JSON frame, used to cap pages at
    /// <c>NoteSync:Sync:MaxAckBytes</c>. Every store counts the same way so paging is store-independent.
    /// </summary>
    public long EstimatedWireBytes
    {
        get
        {
            long bytes = 0;
            foreach (var w in State.Writes)
            {
                bytes += 64 + (3L * w.DeviceId.Length) + (3L * (w.Value?.Length ?? 0));
            }

            return bytes + (3L * Key.Length);
        }
    }
}
