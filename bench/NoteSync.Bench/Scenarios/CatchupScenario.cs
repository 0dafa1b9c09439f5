using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Output;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// Catch-up: a writer preloads N notes, then fresh devices, one after the other, connect and pull
/// from <c>last_ack</c> 0; each is timed from connect start until it holds all N (following <c>more</c>).
/// Scale-out: the writer is on node 0 and fresh device r on node r mod nodes (as the peers harness), so
/// with 2 nodes runs alternate between the writer's node and the other one.
/// </summary>
internal sealed class CatchupScenario(BenchContext context)
{
    public async Task<ScenarioReport> RunAsync()
    {
        var o = context.Options;
        var ct = context.Deadline;
        var runPrefix = $"note:{context.RunId}/";
        using var server = context.ServerSampler();
        using var redis = context.RedisSampler();
        var redisCpuStart = redis.CpuSeconds();
        var writer = new BenchDevice(0, $"{context.RunId}-writer", runPrefix, $"{runPrefix}pre/", NullObserver.Instance);
        double preloadMs;
        var preloadStart = Ticks.Now;
        try
        {
            await context.Connector.ConnectAsync(writer, 0, TimeSpan.FromSeconds(60), ct);
            await writer.Synced.WaitAsync(TimeSpan.FromSeconds(60), ct);
            preloadStart = Ticks.Now;
            var random = new Random(o.Seed);
            for (var b = 0; b < o.Notes; b += o.Batch)
            {
                var batch = new WriteSpec[Math.Min(o.Batch, o.Notes - b)];
                for (var j = 0; j < batch.Length; j++)
                {
                    batch[j] = new WriteSpec(b + j, b + j, o.NoteSize, random.Next(ValuePayload.MaxSize));
                }

                // One push in flight at a time: the writer waits for each ack (durable) before the next.
                var push = PushRequest.Batch(batch);
                writer.Enqueue(push);
                await push.Completion!.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            }

            preloadMs = Ticks.ToMs(Ticks.Now - preloadStart);
        }
        finally
        {
            await writer.DisposeAsync();
        }

        var times = new List<double>();
        var connects = new List<double>();
        var frames = new List<long>();
        var bytes = new List<long>();
        long duplicates = 0;
        for (var r = 0; r < o.Reps; r++)
        {
            var observer = new CatchupObserver(o.Notes);
            var fresh = new BenchDevice(100 + r, $"{context.RunId}-fresh{r}", runPrefix, $"{runPrefix}fresh{r}/", observer)
            {
                Node = context.Connector.NodeOf(r),
            };
            try
            {
                var start = Ticks.Now;
                connects.Add(Ticks.ToMs(await context.Connector.ConnectAsync(fresh, 0, TimeSpan.FromSeconds(60), ct)));
                try
                {
                    var allAt = await observer.All.WaitAsync(TimeSpan.FromSeconds(60), ct);
                    times.Add(Ticks.ToMs(allAt - start));
                }
                catch (TimeoutException)
                {
                    throw new InvalidOperationException($"fresh device {r} holds {observer.Count}/{o.Notes} after 60 s ({fresh.Failure ?? fresh.LastError ?? "no error"})");
                }

                frames.Add(fresh.FramesReceived);
                bytes.Add(fresh.BytesReceived);
                duplicates += observer.Duplicates;
            }
            finally
            {
                await fresh.DisposeAsync();
            }

            await Task.Delay(200, ct);
        }

        var serverJson = server.Stop();
        var redisCpuTotal = redis.CpuSeconds() is { } rEnd && redisCpuStart is { } rStart ? Math.Round(rEnd - rStart, 3) : (double?)null;
        var redisJson = context.RedisJson(redis, null, redisCpuTotal);
        var summary = LatencySamples.Summarize(times);
        var record = context.NewRecord("catchup");
        record["ok"] = true;
        record["params"] = new JsonObject { ["notes"] = o.Notes, ["note_size"] = o.NoteSize, ["batch"] = o.Batch, ["reps"] = o.Reps, ["seed"] = o.Seed };
        record["preload_ms"] = Math.Round(preloadMs, 1);
        record["catchup_ms"] = summary.ToJson();
        record["catchup_min_ms"] = Math.Round(times.Min(), 2);
        record["catchup_runs_ms"] = new JsonArray([.. times.Select(t => (JsonNode?)Math.Round(t, 2))]);
        record["initial_ack_ms"] = new JsonArray([.. connects.Select(t => (JsonNode?)Math.Round(t, 2))]);
        record["frames_per_catchup"] = new JsonArray([.. frames.Select(f => (JsonNode?)f)]);
        record["bytes_per_catchup"] = new JsonArray([.. bytes.Select(b => (JsonNode?)b)]);
        record["duplicates"] = duplicates;
        record["server"] = serverJson;
        record["fresh_nodes"] = new JsonArray([.. Enumerable.Range(0, o.Reps).Select(r => (JsonNode?)context.Connector.NodeOf(r))]);
        record["redis"] = redisJson;
        record["redis_cpu_s"] = redisCpuTotal;

        var rows = new List<(string, string)>
        {
            ("notes x size", $"{o.Notes} x {o.NoteSize} B (preload in pushes of {o.Batch})"),
            ("preload ms", $"{preloadMs:0.0} ({o.Notes / (preloadMs / 1000):0} notes/s)"),
            ("catch-up p50 / min / max ms", $"{LatencySummary.Format(summary.P50)} / {LatencySummary.Format(times.Min())} / {LatencySummary.Format(summary.Max)}"),
            ("runs ms" + (context.Connector.NodeCount > 1 ? " (fresh on node)" : ""),
                string.Join(", ", times.Select((t, r) => t.ToString("0.0") + (context.Connector.NodeCount > 1 ? $" (n{context.Connector.NodeOf(r)})" : "")))),
            ("connect -> first ack handled ms", string.Join(", ", connects.Select(t => t.ToString("0.0")))),
            ("frames / MB per catch-up", $"{frames.Average():0.#} / {bytes.Average() / 1048576:0.00}"),
            ("duplicates", $"{duplicates}"),
            (context.Connector.NodeCount > 1 ? "server peak RSS MB, all nodes" : "server peak RSS MB", serverJson["rss_peak_mb"]?.ToString() ?? "-"),
        };
        if (redisJson is not null)
        {
            rows.Add(("redis CPU s (whole run) / peak RSS MB", $"{redisCpuTotal?.ToString() ?? "-"} / {redisJson["rss_peak_mb"]?.ToString() ?? "-"}"));
        }

        return new ScenarioReport($"catchup ({context.RunId})", record, rows, Ok: true);
    }
}
