namespace NoteSync.Bench.Options;

/// <summary>Everything a bench run is told on its command line, with the defaults of the brief.</summary>
internal sealed record BenchOptions
{
    public string Scenario { get; init; } = "";

    /// <summary>
    /// The server nodes, each <c>ws://127.0.0.1:&lt;port&gt;</c>; any other host is refused. One URL is the
    /// single-node bench; several (scale-out: nodes sharing one Redis) spread each group's devices
    /// round-robin over them (<see cref="Devices.DeviceConnector.NodeOf"/>).
    /// </summary>
    public IReadOnlyList<Uri> Urls { get; init; } = [new("ws://127.0.0.1:7120")];

    /// <summary>The first node; the only one in single-node runs.</summary>
    public Uri Url => Urls[0];

    /// <summary>Server processes whose CPU and RSS are summed (one per node); empty = not measured.</summary>
    public IReadOnlyList<int> ServerPids { get; init; } = [];

    /// <summary>The shared Redis's processes (one, or each server of a cluster), measured apart and summed (<c>redis_cpu_s</c>); empty = not measured.</summary>
    public IReadOnlyList<int> RedisPids { get; init; } = [];

    /// <summary>How the shared Redis was run (e.g. <c>appendonly yes appendfsync always</c>), copied into every record.</summary>
    public string? RedisConfig { get; init; }

    public string? Out { get; init; }

    public string? Label { get; init; }

    /// <summary>Hard deadline for the whole process, in seconds.</summary>
    public int MaxSeconds { get; init; } = 900;

    public int Seed { get; init; } = 1;

    // fanout (and sweep)
    public int Groups { get; init; } = 1;

    public int Devices { get; init; } = 4;

    public int Writes { get; init; } = 200;

    public double Rate { get; init; } = 1000;

    public int Warmup { get; init; } = 5;

    public int MinSize { get; init; } = 200;

    public int MaxSize { get; init; } = 1000;

    public double DrainSeconds { get; init; } = 10;

    /// <summary>Pushes per second of one extra flooding device during a fan-out (0: none; <c>rate</c> mode only).</summary>
    public double FloodRate { get; init; }

    /// <summary>
    /// What the extra device does during a fan-out: <c>rate</c> (tiny writes at <see cref="FloodRate"/>),
    /// <c>siblings</c> (distinct values at one timestamp, as fast as answered) or <c>pull</c> (full pulls of
    /// a filled space, as fast as answered); empty: no extra device unless <see cref="FloodRate"/> is set.
    /// </summary>
    public string FloodMode { get; init; } = "";

    /// <summary>The bytes of each value the <c>siblings</c> flooder writes.</summary>
    public int FloodValueBytes { get; init; } = 64 * 1024;

    /// <summary>The notes the <c>pull</c> flooder writes into its space before it starts pulling.</summary>
    public int FloodNotes { get; init; } = 20_000;

    /// <summary>Read-only devices in the flooder's space, counting what the server sends them.</summary>
    public int FloodListeners { get; init; } = 2;

    /// <summary>The token every measured device connects with (a server with auth on), or null.</summary>
    public string? Token { get; init; }

    /// <summary>The token of the flooder and its listeners (another space than <see cref="Token"/>'s), or null for <see cref="Token"/>.</summary>
    public string? FloodToken { get; init; }

    // catchup
    public int Notes { get; init; } = 10_000;

    public int NoteSize { get; init; } = 500;

    public int Batch { get; init; } = 500;

    public int Reps { get; init; } = 3;

    // storage (also --notes, --note-size, --batch)
    public int Pushes { get; init; } = 5;

    public int KeyBytes { get; init; } = 1024;

    /// <summary>The server's data directory, whose files the storage scenario sums.</summary>
    public string? DataDir { get; init; }

    // history (also --notes, --min-size, --max-size, --batch, --data-dir)
    public int MinEdits { get; init; } = 1;

    public int MaxEdits { get; init; } = 100;

    /// <summary>What the server keeps of each note (<c>NoteSync:History:VersionsPerNote</c>), for the scenario's estimates.</summary>
    public int VersionsPerNote { get; init; } = 50;

    // idle
    public int Connections { get; init; } = 1000;

    public int Concurrency { get; init; } = 100;

    public double IdleSeconds { get; init; } = 2;

    // sweep
    public IReadOnlyList<double> Rates { get; init; } = [250, 500, 1000, 2000, 4000, 8000, 16000];

    public double MaxRate { get; init; } = 16000;

    public double SweepSeconds { get; init; } = 5;

    public double P99LimitMs { get; init; } = 50;

    // cli (also --notes, --note-size, --reps)

    /// <summary>The CLI to run, <c>notesync.dll</c> (bench/run.sh builds it).</summary>
    public string? CliDll { get; init; }

    public int Edits { get; init; } = 200;

    public double EditRate { get; init; } = 5;
}
