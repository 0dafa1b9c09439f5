using System.Globalization;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// How long and how hard a scenario runs. CI defaults keep the whole class under a few minutes; a
/// soak sets <c>NOTESYNC_SOAK_SECONDS</c> (load per scenario), and optionally <c>NOTESYNC_SOAK_ROUNDS</c>
/// (fault rounds; by default faults go on for the whole load) and <c>NOTESYNC_JEPSEN_SEED</c> (replay a run).
/// </summary>
internal sealed record JepsenSettings(TimeSpan Load, int? Rounds, int Seed)
{
    public const int CiRounds = 3;

    /// <summary>The settings for this run, from the environment or the CI defaults (<paramref name="ciRounds"/> fault rounds).</summary>
    public static JepsenSettings FromEnvironment(int ciRounds = CiRounds)
    {
        var soakSeconds = ReadInt("NOTESYNC_SOAK_SECONDS");
        var rounds = ReadInt("NOTESYNC_SOAK_ROUNDS");
        var seed = ReadInt("NOTESYNC_JEPSEN_SEED") ?? Random.Shared.Next();
        return soakSeconds is { } seconds
            ? new JepsenSettings(TimeSpan.FromSeconds(seconds), rounds, seed)
            : new JepsenSettings(TimeSpan.FromSeconds(15), rounds ?? ciRounds, seed);
    }

    private static int? ReadInt(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text
            ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : null;
}
