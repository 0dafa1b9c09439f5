namespace NoteSync.Shared.Crdt;

/// <summary>One write to a key: a device's Lamport timestamp, the device, and the value (null = delete).</summary>
/// <param name="Timestamp">The writer's Lamport timestamp.</param>
/// <param name="DeviceId">The writer.</param>
/// <param name="Value">The content, or null for a delete.</param>
public readonly record struct Write(long Timestamp, string DeviceId, string? Value)
{
    /// <summary>
    /// Hashes the version (timestamp and device), not the text: a value can be hundreds of kilobytes,
    /// and every set of heads is deduplicated on each read of a key. Equality still compares the text.
    /// </summary>
    public override int GetHashCode() => HashCode.Combine(Timestamp, DeviceId);

    /// <summary>
    /// The order that picks a winner among writes of equal timestamp: by device id, then by value,
    /// both ordinal, a null value lowest. Positive when <paramref name="a"/> beats <paramref name="b"/>.
    /// </summary>
    public static int CompareForWinner(in Write a, in Write b)
    {
        var byDevice = string.CompareOrdinal(a.DeviceId, b.DeviceId);
        if (byDevice != 0)
        {
            return byDevice;
        }

        if (a.Value is null || b.Value is null)
        {
            return (a.Value is null ? 0 : 1) - (b.Value is null ? 0 : 1);
        }

        return string.CompareOrdinal(a.Value, b.Value);
    }

    /// <summary>
    /// The order of heads: by timestamp, then as <see cref="CompareForWinner"/>. Positive when
    /// <paramref name="a"/> is the better head; the greatest head is a key's winner.
    /// </summary>
    public static int CompareHeads(in Write a, in Write b)
    {
        var byTimestamp = a.Timestamp.CompareTo(b.Timestamp);
        return byTimestamp != 0 ? byTimestamp : CompareForWinner(a, b);
    }
}
