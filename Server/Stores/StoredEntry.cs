using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>An entry as the log holds it: its key, the <c>seq</c> of its last change, and its state.</summary>
/// <param name="Key">The entry's key.</param>
/// <param name="Seq">The cursor value given to the entry's last change.</param>
/// <param name="State">The entry's current state.</param>
public sealed record StoredEntry(string Key, long Seq, EntryState State)
{
    /// <summary>
    /// An upper bound of the entry's size in a JSON frame (field names and punctuation included), used
    /// to cap pages at <c>NoteSync:Sync:MaxAckBytes</c>. Every store counts the same way, so paging is
    /// store-independent. Computed once per entry: entries are immutable.
    /// </summary>
    public long EstimatedWireBytes
    {
        get
        {
            if (_wireBytes == 0)
            {
                // {"key":,"value":,"timestamp":N,"device_id":,"conflict":true,"conflicts":[]} and, per
                // sibling, {"value":,"timestamp":N,"device_id":}: 100 bytes covers the fixed parts of each.
                long bytes = 100 + WireSize.Of(Key);
                foreach (var w in State.Writes)
                {
                    bytes += 100 + WireSize.Of(w.DeviceId) + WireSize.Of(w.Value);
                }

                _wireBytes = bytes;
            }

            return _wireBytes;
        }
    }

    private long _wireBytes;
}
