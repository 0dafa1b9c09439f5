using System.Globalization;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// How long and how hard a scenario runs. CI defaults keep the whole class under a few minutes; a
/// soak sets <c>NOTESYNC_SOAK_SECONDS</c> (load per scenario), and optionally <c>NOTESYNC_SOAK_ROUNDS</c>
/// (fault rounds; by default faults go on for the whole load) and <c>NOTESYNC_JEPSEN_SEED</c> (replay a run).
/// </summary>
internal sealed record JepsenSettings(TimeSpan Load, int? Rounds, int Seed)
{
    /// <summary>How long a device still connected at the end is given to hold what the nodes hold.</summary>
    public TimeSpan CatchUp { get; init; } = TimeSpan.FromSeconds(10);

    // Two rounds: a fault after a recovery, at the cost of one more round's few seconds per scenario
    // in every suite run; a soak is where many rounds go.
    private const int CiRounds = 2;
    private static readonly TimeSpan CiLoad = TimeSpan.FromSeconds(10);

    /// <summary>The settings for this run, from the environment or the CI defaults (10 s of load, two fault rounds).</summary>
    public static JepsenSettings FromEnvironment()
    {
        var soakSeconds = ReadInt("NOTESYNC_SOAK_SECONDS");
        var rounds = ReadInt("NOTESYNC_SOAK_ROUNDS");
        var seed = ReadInt("NOTESYNC_JEPSEN_SEED") ?? Random.Shared.Next();
        return soakSeconds is { } seconds
            ? new JepsenSettings(TimeSpan.FromSeconds(seconds), rounds, seed)
            : new JepsenSettings(CiLoad, rounds ?? CiRounds, seed);
    }

    private static int? ReadInt(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text
            ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : null;
}
