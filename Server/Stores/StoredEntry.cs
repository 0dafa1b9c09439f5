using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores;

/// <summary>An entry as the log holds it: its key, the <c>seq</c> of its last change, and its state.</summary>
/// <param name="Key">The entry's key.</param>
/// <param name="Seq">The cursor value given to the entry's last change.</param>
/// <param name="State">The entry's current state.</param>
internal sealed record StoredEntry(string Key, long Seq, EntryState State)
{
    // 0 until first asked for. Not part of the entry's value: it is left out of Equals and GetHashCode,
    // which would otherwise make two equal entries differ by whether the size was asked of one of them,
    // and out of `with` copies, which may carry another key or state.
    private long _wireBytes;

    /// <summary>A copy of <paramref name="original"/> for <c>with</c>, sized afresh for what the copy ends up holding.</summary>
    private StoredEntry(StoredEntry original)
    {
        Key = original.Key;
        Seq = original.Seq;
        State = original.State;
    }

    /// <summary>
    /// An upper bound of the entry's size in a JSON frame (field names and punctuation included), used
    /// to cap pages at <c>NoteSync:Sync:MaxAckBytes</c>. Every store counts the same way, so paging is
    /// store-independent. Computed once per entry: entries are immutable. Threads that race here compute
    /// the same number, and a 64-bit field is written whole, so the race is harmless.
    /// </summary>
    public long EstimatedWireBytes
    {
        get
        {
            var bytes = Volatile.Read(ref _wireBytes);
            if (bytes == 0)
            {
                // {"key":,"value":,"timestamp":N,"device_id":,"conflict":true,"conflicts":[]} and, per
                // sibling, {"value":,"timestamp":N,"device_id":}: 100 bytes covers the fixed parts of each.
                bytes = 100 + WireSize.Of(Key);
                foreach (var w in State.Writes)
                {
                    bytes += 100 + WireSize.Of(w.DeviceId) + WireSize.Of(w.Value);
                }

                Volatile.Write(ref _wireBytes, bytes);
            }

            return bytes;
        }
    }

    /// <summary>Equal when key, seq and state are (the state by reference, as <see cref="EntryState"/> compares).</summary>
    public bool Equals(StoredEntry? other) =>
        other is not null
        && string.Equals(Key, other.Key, StringComparison.Ordinal)
        && Seq == other.Seq
        && EqualityComparer<EntryState>.Default.Equals(State, other.State);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Key), Seq, State);
}
