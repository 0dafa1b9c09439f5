namespace NoteSync.Server.Stores;

/// <summary>
/// What a space holds as its quotas count it (<see cref="SpaceQuotas"/>): its notes (entries whose
/// winner has a value) and its bytes (<see cref="SpaceQuotas.SizeOf"/> summed over every entry,
/// tombstones included). Also the change a push makes to them.
/// </summary>
/// <param name="Notes">Entries whose winner has a value.</param>
/// <param name="Bytes">The stored size of every entry.</param>
internal readonly record struct SpaceUsage(long Notes, long Bytes)
{
    public static SpaceUsage operator +(SpaceUsage a, SpaceUsage b) => new(a.Notes + b.Notes, a.Bytes + b.Bytes);

    public static SpaceUsage operator -(SpaceUsage a, SpaceUsage b) => new(a.Notes - b.Notes, a.Bytes - b.Bytes);
}
