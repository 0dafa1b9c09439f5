using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Options;

namespace NoteSync.Bench.Scenarios;

/// <summary>What every scenario of one bench process shares: options, run id, connector, deadline.</summary>
internal sealed class BenchContext(BenchOptions options, DeviceConnector connector, CancellationToken deadline)
{
    public BenchOptions Options { get; } = options;

    public DeviceConnector Connector { get; } = connector;

    /// <summary>Cancelled at the hard deadline (<c>--max-s</c>).</summary>
    public CancellationToken Deadline { get; } = deadline;

    /// <summary>
    /// Unique per process. With auth off every device shares the space <c>default</c>, so keys
    /// (<c>note:&lt;RunId&gt;/...</c>) and device ids carry it to keep runs apart on a long-lived server.
    /// </summary>
    public string RunId { get; } = $"bench-{DateTime.UtcNow:yyyyMMddHHmmss}-{Random.Shared.Next(0x10000):x4}";

    /// <summary>Samples the server's process(es): every node's pid, CPU and RSS summed.</summary>
    public ProcessSampler ServerSampler() => new(Options.ServerPids);

    /// <summary>Samples the shared Redis apart from the nodes (no pid: every figure null).</summary>
    public ProcessSampler RedisSampler() => new(Options.RedisPids);

    /// <summary>The shared Redis's figures over a scenario: CPU over the measured window and in total, peak RSS.</summary>
    public JsonObject? RedisJson(ProcessSampler redis, double? cpuMeasuredS, double? cpuTotalS)
    {
        if (Options.RedisPids.Count == 0)
        {
            return null;
        }

        var json = redis.Stop();
        json["cpu_measured_s"] = cpuMeasuredS;
        json["cpu_total_s"] = cpuTotalS;
        json["config"] = Options.RedisConfig;
        return json;
    }

    /// <summary>The fields every JSONL record starts with (scale-out adds <c>urls</c>, <c>server_pids</c>, <c>redis_pid</c>).</summary>
    public JsonObject NewRecord(string scenario) => new()
    {
        ["ts"] = DateTime.UtcNow.ToString("O"),
        ["scenario"] = scenario,
        ["label"] = Options.Label,
        ["run_id"] = RunId,
        ["url"] = Options.Url.ToString(),
        ["server_pid"] = Options.ServerPids.Count > 0 ? Options.ServerPids[0] : null,
        ["nodes"] = Options.Urls.Count,
        ["urls"] = new JsonArray([.. Options.Urls.Select(u => (JsonNode?)u.ToString())]),
        ["server_pids"] = new JsonArray([.. Options.ServerPids.Select(p => (JsonNode?)p)]),
        ["redis_pid"] = Options.RedisPids.Count > 0 ? Options.RedisPids[0] : null,
        ["redis_pids"] = new JsonArray([.. Options.RedisPids.Select(p => (JsonNode?)p)]),
        ["redis_config"] = Options.RedisConfig,
        ["bench"] = new JsonObject
        {
            ["runtime"] = Environment.Version.ToString(),
            ["processor_count"] = Environment.ProcessorCount,
        },
    };
}
