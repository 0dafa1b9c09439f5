using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
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

    /// <summary>The fields every JSONL record starts with.</summary>
    public JsonObject NewRecord(string scenario) => new()
    {
        ["ts"] = DateTime.UtcNow.ToString("O"),
        ["scenario"] = scenario,
        ["label"] = Options.Label,
        ["run_id"] = RunId,
        ["url"] = Options.Url.ToString(),
        ["server_pid"] = Options.ServerPid,
        ["bench"] = new JsonObject
        {
            ["runtime"] = Environment.Version.ToString(),
            ["processor_count"] = Environment.ProcessorCount,
        },
    };
}
