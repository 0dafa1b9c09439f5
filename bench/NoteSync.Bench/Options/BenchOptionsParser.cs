using System.Globalization;

namespace NoteSync.Bench.Options;

/// <summary>Turns <c>args</c> into <see cref="BenchOptions"/>; throws <see cref="ArgumentException"/> with the reason.</summary>
internal static class BenchOptionsParser
{
    public static readonly string[] Scenarios = ["fanout", "merge", "catchup", "idle", "sweep", "cli", "storage", "history"];

    public const string Usage = """
        usage: NoteSync.Bench <fanout|merge|catchup|idle|sweep|cli|storage|history> --port P [options]
               (or --scenario S; --url ws://127.0.0.1:P instead of --port)
          common:  --server-pid PID   server process for CPU (/proc/PID/stat) and RSS (/proc/PID/status)
                   scale-out: --url ws://127.0.0.1:P1,ws://127.0.0.1:P2 (or --ports P1,P2), one URL per node;
                   --server-pid PID1,PID2 (or repeated; CPU and RSS summed over nodes);
                   --redis-pid PID[,PID...] (the shared Redis, or a cluster's servers, summed and reported apart as redis_cpu_s)
                   --redis-config TEXT (how that Redis runs, e.g. "appendonly yes appendfsync always"; recorded)
                   --out FILE         JSONL results (default bench/results/<utc stamp>.jsonl)
                   --label TEXT  --max-s 900 (hard deadline)  --seed 1
          fanout:  --groups 1 --devices 4 --writes 200 --rate 1000 --warmup 5
                   --min-size 200 --max-size 1000 --drain-s 10
                   --flood-rate 0 (pushes/s of one more device on its own connection, not measured)
                   --flood-mode rate|siblings|pull (what that device does; siblings and pull: as fast as
                   answered, in the flood token's space) --flood-value-bytes 65536 --flood-notes 20000
                   --flood-listeners 2 (read-only devices in the flooder's space)
                   --token T (measured devices) --flood-token T (the flooder and its listeners; default --token)
          merge:   the fanout options (one group): as many pairs of concurrent edits as ordinary writes / 2,
                   interleaved on the one schedule at --rate; reports both latencies and unmerged pairs
          catchup: --notes 10000 --note-size 500 --batch 500 --reps 3
          idle:    --connections 1000 --concurrency 100 --idle-s 2
          sweep:   --rates 250,500,1000,2000,4000,8000,16000 --max-rate 16000 --sweep-s 5 --p99-ms 50
                   (plus the fanout options; writes per device = max(--writes, rate * sweep-s / devices))
          cli:     --cli path/to/notesync.dll (required) --notes 10000 --note-size 500 --reps 3
                   --edits 200 --edit-rate 5
          storage: --data-dir DIR (the server's NoteSync:DataDir, required) --pushes 5 --notes 10000
                   --key-bytes 1024 --note-size 500 --batch 500 (writes per push)
          history: --notes 10000 --min-size --max-size (of a note) --min-edits 1 --max-edits 100 (per note)
                   --batch 500 --versions-per-note 50 (the server's setting, for the estimates) [--data-dir DIR]
        Only 127.0.0.1 is accepted as a target.
        """;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            options = options with { Scenario = args[0] };
            i = 1;
        }

        for (; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                throw new ArgumentException("help");
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value");
            }

            var value = args[++i];
            options = name switch
            {
                "--scenario" => options with { Scenario = value },
                "--url" => options with { Urls = [.. List(value).Select(u => new Uri(u))] },
                "--port" => options with { Urls = [new Uri($"ws://127.0.0.1:{Int(name, value, 1, 65535)}")] },
                "--ports" => options with { Urls = [.. List(value).Select(p => new Uri($"ws://127.0.0.1:{Int(name, p, 1, 65535)}"))] },
                "--server-pid" => options with { ServerPids = [.. options.ServerPids, .. List(value).Select(p => Int(name, p, 1, int.MaxValue))] },
                "--redis-pid" => options with { RedisPids = [.. options.RedisPids, .. List(value).Select(p => Int(name, p, 1, int.MaxValue))] },
                "--redis-config" => options with { RedisConfig = value },
                "--out" => options with { Out = value },
                "--label" => options with { Label = value },
                "--max-s" => options with { MaxSeconds = Int(name, value, 1, 86_400) },
                "--seed" => options with { Seed = Int(name, value, 0, int.MaxValue) },
                "--groups" or "--S" => options with { Groups = Int(name, value, 1, 1000) },
                "--devices" or "--D" => options with { Devices = Int(name, value, 2, 10_000) },
                "--writes" or "--W" => options with { Writes = Int(name, value, 1, 10_000_000) },
                "--rate" or "--R" => options with { Rate = Double(name, value, 0.1, 1_000_000) },
                "--warmup" => options with { Warmup = Int(name, value, 0, 10_000) },
                "--min-size" => options with { MinSize = Int(name, value, 16, 8000) },
                "--max-size" => options with { MaxSize = Int(name, value, 16, 8000) },
                "--drain-s" => options with { DrainSeconds = Double(name, value, 0, 600) },
                "--flood-rate" => options with { FloodRate = Double(name, value, 0, 1_000_000) },
                "--flood-mode" => options with { FloodMode = value is "rate" or "siblings" or "pull" ? value : throw new ArgumentException($"--flood-mode must be rate, siblings or pull; got '{value}'") },
                "--flood-value-bytes" => options with { FloodValueBytes = Int(name, value, 16, 16 * 1024 * 1024) },
                "--flood-notes" => options with { FloodNotes = Int(name, value, 1, 1_000_000) },
                "--flood-listeners" => options with { FloodListeners = Int(name, value, 0, 100) },
                "--token" => options with { Token = value },
                "--flood-token" => options with { FloodToken = value },
                "--notes" or "--N" => options with { Notes = Int(name, value, 1, 10_000_000) },
                "--note-size" => options with { NoteSize = Int(name, value, 16, 8000) },
                "--batch" => options with { Batch = Int(name, value, 1, 100_000) },
                "--reps" => options with { Reps = Int(name, value, 1, 1000) },
                "--connections" or "--C" => options with { Connections = Int(name, value, 1, 1_000_000) },
                "--concurrency" => options with { Concurrency = Int(name, value, 1, 10_000) },
                "--idle-s" => options with { IdleSeconds = Double(name, value, 0, 600) },
                "--rates" => options with { Rates = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => Double(name, r, 0.1, 1_000_000))] },
                "--max-rate" => options with { MaxRate = Double(name, value, 0.1, 1_000_000) },
                "--sweep-s" => options with { SweepSeconds = Double(name, value, 0.1, 3600) },
                "--cli" => options with { CliDll = File.Exists(value) ? Path.GetFullPath(value) : throw new ArgumentException($"--cli: no such file '{value}'") },
                "--edits" => options with { Edits = Int(name, value, 1, 100_000) },
                "--edit-rate" => options with { EditRate = Double(name, value, 0.1, 1000) },
                "--min-edits" => options with { MinEdits = Int(name, value, 0, 10_000) },
                "--max-edits" => options with { MaxEdits = Int(name, value, 0, 10_000) },
                "--versions-per-note" => options with { VersionsPerNote = Int(name, value, 1, 10_000) },
                "--pushes" => options with { Pushes = Int(name, value, 1, 1000) },
                "--key-bytes" => options with { KeyBytes = Int(name, value, 16, 1024) },
                "--data-dir" => options with { DataDir = Directory.Exists(value) ? Path.GetFullPath(value) : throw new ArgumentException($"--data-dir: no such directory '{value}'") },
                "--p99-ms" => options with { P99LimitMs = Double(name, value, 0.001, 100_000) },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }

        if (!Scenarios.Contains(options.Scenario))
        {
            throw new ArgumentException($"scenario must be one of {string.Join(", ", Scenarios)}; got '{options.Scenario}'");
        }

        if (options.Urls.Count == 0)
        {
            throw new ArgumentException("--url needs at least one URL");
        }

        foreach (var url in options.Urls)
        {
            if (url.Scheme != "ws" || !Devices.DeviceConnector.IsAllowedHost(url))
            {
                throw new ArgumentException($"refusing {url}: only ws://127.0.0.1:<port> is allowed");
            }
        }

        if (options.Urls.Distinct().Count() != options.Urls.Count)
        {
            throw new ArgumentException("--url lists a node twice");
        }

        if (options.Scenario == "cli" && options.CliDll is null)
        {
            throw new ArgumentException("scenario cli needs --cli <path to notesync.dll>");
        }

        if (options.Scenario == "storage" && options.DataDir is null)
        {
            throw new ArgumentException("scenario storage needs --data-dir <the server's data directory>");
        }

        if (options.MinEdits > options.MaxEdits)
        {
            throw new ArgumentException("--min-edits must not exceed --max-edits");
        }

        if (options.MinSize > options.MaxSize)
        {
            throw new ArgumentException("--min-size must not exceed --max-size");
        }

        if (options.FloodMode == "" && options.FloodRate > 0)
        {
            options = options with { FloodMode = "rate" };
        }

        if (options.FloodMode == "rate" && options.FloodRate <= 0)
        {
            throw new ArgumentException("--flood-mode rate needs --flood-rate above 0");
        }

        return options;
    }

    private static string[] List(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Int(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} must be an integer in {min}..{max}; got '{value}'");

    private static double Double(string name, string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} must be a number in {min}..{max}; got '{value}'");
}
