using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.Infra;

/// <summary>Compares <see cref="EntryState"/>s field by field, since the type has reference equality.</summary>
internal static class StateAssert
{
    /// <summary>True when both are null, or hold the same writes in the same order with the same derived fields.</summary>
    public static bool Same(EntryState? expected, EntryState? actual)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null;
        }

        return expected.Timestamp == actual.Timestamp
            && expected.Winner == actual.Winner
            && expected.Writes.SequenceEqual(actual.Writes)
            && expected.IsConflict == actual.IsConflict
            && expected.Siblings.SequenceEqual(actual.Siblings);
    }

    /// <summary>Fails with both states written out when they differ.</summary>
    public static void Equal(EntryState? expected, EntryState? actual)
    {
        Assert.True(Same(expected, actual), $"expected {Describe(expected)}{Environment.NewLine}but got  {Describe(actual)}");
    }

    /// <summary>The state holding exactly <paramref name="writes"/> (best first or not).</summary>
    public static EntryState Of(params Write[] writes) => EntryState.OfWrites(writes);

    public static string Describe(EntryState? state) => state is null
        ? "(no state)"
        : $"T={state.Timestamp} W=[{string.Join(", ", state.Writes.ToArray().Select(Describe))}] conflict={state.IsConflict}";

    public static string Describe(Write write) => $"({write.Timestamp}, {write.DeviceId}, {(write.Value is null ? "null" : $"\"{write.Value}\"")})";
}
