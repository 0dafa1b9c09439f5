using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Stores;

/// <summary>
/// The argument checks every <see cref="ISyncStore"/> makes before it touches storage. They guard
/// against callers' bugs: pushes reach a store only after <see cref="PushValidator"/>, which refuses
/// the same things with the protocol's messages.
/// </summary>
internal static class StoreArguments
{
    /// <summary>Checks the arguments of <see cref="ISyncStore.ApplyAsync"/>: a space, and writes that each have a key, a device, a timestamp in 1..2^53-1 and a base of earlier versions.</summary>
    public static void CheckApply(string space, IReadOnlyList<KeyedWrite> writes)
    {
        ArgumentException.ThrowIfNullOrEmpty(space);
        ArgumentNullException.ThrowIfNull(writes);
        for (var i = 0; i < writes.Count; i++)
        {
            var (key, write, @base) = writes[i];
            ArgumentNullException.ThrowIfNull(key, $"{nameof(writes)}[{i}].Key");
            ArgumentNullException.ThrowIfNull(write.DeviceId, $"{nameof(writes)}[{i}].Write.DeviceId");
            if (write.Timestamp is < 1 or > ProtocolLimits.MaxTimestamp)
            {
                throw new ArgumentOutOfRangeException(nameof(writes), write.Timestamp, $"{nameof(writes)}[{i}] has a timestamp outside 1..2^53-1");
            }

            foreach (var named in @base ?? [])
            {
                // A base names versions the writer had seen, so they came before its write.
                ArgumentNullException.ThrowIfNull(named.DeviceId, $"{nameof(writes)}[{i}].Base");
                if (named.Timestamp < 1 || named.Timestamp >= write.Timestamp)
                {
                    throw new ArgumentOutOfRangeException(nameof(writes), named.Timestamp, $"{nameof(writes)}[{i}] names a version at or after its own timestamp");
                }
            }
        }
    }

    /// <summary>Checks the arguments of <see cref="ISyncStore.ReadSinceAsync"/>.</summary>
    public static void CheckReadSince(string space, long afterSeq, int maxChanges, long maxBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(space);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChanges);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
    }

    /// <summary>Checks the arguments of <see cref="ISyncStore.ReadHistoryAsync"/> and <see cref="ISyncStore.ReadVersionAsync"/>: a space, a key, and a positive bound.</summary>
    public static void CheckHistory(string space, string key, int maxVersions)
    {
        ArgumentException.ThrowIfNullOrEmpty(space);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxVersions);
    }

    /// <summary>Checks the arguments of <see cref="ISyncStore.ReadTrashAsync"/>.</summary>
    public static void CheckTrash(string space, int maxNotes)
    {
        ArgumentException.ThrowIfNullOrEmpty(space);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNotes);
    }

    /// <summary>Checks a space argument.</summary>
    public static void CheckSpace(string space) => ArgumentException.ThrowIfNullOrEmpty(space);
}
