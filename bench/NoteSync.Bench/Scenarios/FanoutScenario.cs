using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Output;
using NoteSync.Bench.Scenarios.Flood;

namespace NoteSync.Bench.Scenarios;

/// <summary>The figures a sweep needs from one fan-out run, besides its report.</summary>
internal sealed record FanoutOutcome(ScenarioReport Report, LatencySummary Latency, long Missed, long MaxCursor);

/// <summary>
/// Fan-out: every device writes new notes on an open-loop schedule and every other device of its
/// group must receive each one live. Latency is counted from the scheduled send.
/// </summary>
internal sealed class FanoutScenario(BenchContext context)
{
    public async Task<FanoutOutcome> RunAsync(FanoutParams p, string scenarioName, string tag, long initialLastAck)
    {
        var ct = context.Deadline;
        var runPrefix = $"note:{context.RunId}{tag}/";
        var total = p.TotalWrites;
        var schedule = new long[total];
        // Scale-out: each group's devices round-robin over the nodes, so a writer's peers are mostly on other nodes.
        var nodeOf = Enumerable.Range(0, p.DeviceCount).Select(k => context.Connector.NodeOf(k % p.Devices)).ToArray();
        var tracker = new DeliveryTracker(p, schedule, nodeOf);
        var devices = new BenchDevice[p.DeviceCount];
        for (var k = 0; k < devices.Length; k++)
        {
            var (g, d) = (k / p.Devices, k % p.Devices);
            devices[k] = new BenchDevice(k, $"{context.RunId}{tag}-g{g}-d{d}", runPrefix, $"{runPrefix}g{g}/d{d}/", tracker) { Node = nodeOf[k] };
        }

        using var server = context.ServerSampler();
        using var redis = context.RedisSampler();
        FloodRun? flooder = null;
        try
        {
            var connect = await context.Connector.ConnectManyAsync(devices, initialLastAck, 50, ct);
            if (connect.Failed > 0)
            {
                throw new InvalidOperationException($"{connect.Failed} of {devices.Length} devices failed to connect: {connect.FirstError}");
            }

            // Ready means the first pull was answered; Synced means any `more` pages were followed too.
            await Task.WhenAll(devices.Select(d => d.Synced)).WaitAsync(TimeSpan.FromSeconds(60), ct);
            await Task.Delay(500, ct);

            // --flood-mode: one more device, not measured, on its own connection to node 0 all along; started
            // before the schedule is drawn, since the pull flooder first fills its space.
            flooder = await FloodRun.StartAsync(context, tag, ct);

            // Sizes and padding are drawn up front from a seeded generator: the same run twice sends the same bytes.
            var random = new Random(p.Seed);
            var writes = new WriteSpec[total];
            for (var i = 0; i < total; i++)
            {
                writes[i] = new WriteSpec(i / p.DeviceCount, i, random.Next(p.MinSize, p.MaxSize + 1), random.Next(ValuePayload.MaxSize));
            }

            var t0 = Ticks.Now + Ticks.FromMs(50);
            for (var i = 0; i < total; i++)
            {
                schedule[i] = t0 + Ticks.FromMs(i * 1000.0 / p.Rate);
            }

            var start = CpuMark.Take(server, redis);
            var measureStart = start;
            await OpenLoopScheduler.RunAsync(schedule, i =>
            {
                if (i == p.WarmupWrites)
                {
                    measureStart = CpuMark.Take(server, redis);
                }

                devices[i % p.DeviceCount].Enqueue(PushRequest.Write(writes[i], schedule[i], measured: i >= p.WarmupWrites));
            }, ct);
            var sendEnd = Ticks.Now;

            var drainUntil = sendEnd + Ticks.FromMs(p.DrainSeconds * 1000);
            while (tracker.Delivered < tracker.Expected && Ticks.Now < drainUntil)
            {
                await Task.Delay(10, ct);
            }

            var end = CpuMark.Take(server, redis);
            var serverJson = server.Stop();
            JsonObject? floodJson = null;
            string? floodSummary = null;
            if (flooder is not null)
            {
                await flooder.StopAsync();
                floodJson = flooder.ToJson();
                floodSummary = flooder.Summary();
            }

            var redisJson = context.RedisJson(redis, end.RedisSecondsSince(measureStart), end.RedisSecondsSince(start));
            return Report(p, scenarioName, tag, devices, tracker, connect, schedule, sendEnd, start, measureStart, end, serverJson, redisJson, floodJson, floodSummary);
        }
        finally
        {
            if (flooder is not null)
            {
                await flooder.DisposeAsync();
            }

            await DeviceConnector.CloseManyAsync(devices, 50);
        }
    }

    private FanoutOutcome Report(
        FanoutParams p, string scenarioName, string tag, BenchDevice[] devices, DeliveryTracker tracker, ConnectOutcome connect,
        long[] schedule, long sendEnd, CpuMark start, CpuMark measureStart, CpuMark end, JsonObject serverJson, JsonObject? redisJson, JsonObject? floodJson, string? floodSummary)
    {
        var latency = tracker.FromScheduled();
        var sameNode = tracker.SameNode();
        var crossNode = tracker.CrossNode();
        var nodes = context.Connector.NodeCount;
        var fromSent = tracker.FromSent();
        var pushAck = LatencySamples.Summarize(devices.Select(d => d.AckLatency));
        var sendLag = LatencySamples.Summarize(devices.Select(d => d.SendLag));
        var missed = tracker.MeasuredExpected - tracker.MeasuredDelivered;
        var warmupMissed = tracker.Expected - tracker.MeasuredExpected - (tracker.Delivered - tracker.MeasuredDelivered);
        var measuredFrom = schedule.Length > p.WarmupWrites ? schedule[p.WarmupWrites] : schedule[0];
        var spanS = Ticks.ToMs(Math.Max(tracker.LastArrival, measuredFrom + 1) - measuredFrom) / 1000;
        var deliveredPerS = tracker.MeasuredDelivered / spanS;
        var sendRate = (schedule.Length - 1) / (Ticks.ToMs(sendEnd - schedule[0]) / 1000);
        var serverCpu = end.ServerSecondsSince(measureStart);
        var cpuPer1k = serverCpu is { } cpu && tracker.MeasuredDelivered > 0 ? Math.Round(cpu * 1e6 / tracker.MeasuredDelivered, 1) : (double?)null;
        var benchUtil = end.BenchUtilSince(measureStart);
        serverJson["cpu_measured_s"] = serverCpu;
        serverJson["cpu_total_s"] = end.ServerSecondsSince(start);
        var errors = devices.Sum(d => d.ErrorFrames);
        var failures = devices.Where(d => d.Failure is not null).Select(d => $"{d.DeviceId}: {d.Failure}").ToArray();
        var ok = missed == 0 && warmupMissed == 0 && errors == 0 && failures.Length == 0;

        var record = context.NewRecord(scenarioName);
        record["tag"] = tag;
        record["ok"] = ok;
        record["params"] = p.ToJson();
        record["connect_ms"] = Math.Round(connect.ElapsedMs, 1);
        record["latency_ms"] = latency.ToJson();
        record["latency_from_actual_send_ms"] = fromSent.ToJson();
        record["push_ack_ms"] = pushAck.ToJson();
        record["send_lag_ms"] = sendLag.ToJson();
        record["expected_deliveries"] = tracker.MeasuredExpected;
        record["delivered"] = tracker.MeasuredDelivered;
        record["missed"] = missed;
        record["warmup_missed"] = warmupMissed;
        record["duplicates"] = tracker.Duplicates;
        record["own_echoes"] = devices.Sum(d => d.OwnEchoes);
        record["other_group"] = tracker.OtherGroup;
        record["foreign"] = devices.Sum(d => d.ForeignChanges) + tracker.UnknownMarker;
        record["send_rate"] = Math.Round(sendRate, 1);
        record["delivered_per_s"] = Math.Round(deliveredPerS, 1);
        record["server"] = serverJson;
        record["server_cpu_ms_per_1k_deliveries"] = cpuPer1k;
        // Scale-out (added fields; with one node every delivery is same-node and cross_node_* are null).
        record["same_node_ms"] = sameNode.ToJson();
        record["cross_node_ms"] = crossNode.ToJson();
        record["same_node_p50"] = Round(sameNode.P50);
        record["same_node_p99"] = Round(sameNode.P99);
        record["cross_node_p50"] = Round(crossNode.P50);
        record["cross_node_p99"] = Round(crossNode.P99);
        record["cross_node_max"] = Round(crossNode.Max);
        record["redis"] = redisJson;
        record["flood"] = floodJson;
        record["redis_cpu_s"] = redisJson?["cpu_measured_s"]?.DeepClone();
        record["bench_cpu_util"] = benchUtil;
        record["frames_received"] = devices.Sum(d => d.FramesReceived);
        record["bytes_received"] = devices.Sum(d => d.BytesReceived);
        record["error_frames"] = errors;
        record["last_error"] = devices.Select(d => d.LastError).FirstOrDefault(e => e is not null);
        record["device_failures"] = new JsonArray([.. failures.Take(5).Select(f => (JsonNode?)JsonValue.Create(f))]);

        var rows = new List<(string, string)>
        {
            ("devices (groups x devices)", $"{p.Groups} x {p.Devices}, {p.Writes} writes each (+{p.Warmup} warm-up)"
                + (nodes > 1 ? $", over {nodes} nodes" : "")),
            ("rate target / actual", $"{p.Rate:0.#}/s / {sendRate:0.#}/s"),
            ("latency p50/p90/p99/max ms", $"{F(latency.P50)} / {F(latency.P90)} / {F(latency.P99)} / {F(latency.Max)}"),
            ("  from actual send p50/p99", $"{F(fromSent.P50)} / {F(fromSent.P99)}"),
        };
        if (nodes > 1)
        {
            rows.Add(("  same node p50/p99 (n)", $"{F(sameNode.P50)} / {F(sameNode.P99)} ({sameNode.Count})"));
            rows.Add(("  cross node p50/p99/max (n)", $"{F(crossNode.P50)} / {F(crossNode.P99)} / {F(crossNode.Max)} ({crossNode.Count})"));
        }

        rows.AddRange(
        [
            ("delivered / expected", $"{tracker.MeasuredDelivered} / {tracker.MeasuredExpected}"),
            ("missed (warm-up missed)", $"{missed} ({warmupMissed})"),
            ("duplicates", $"{tracker.Duplicates}"),
            ("delivered/s", $"{deliveredPerS:0.#}"),
            ("push->ack p50/p99 ms", $"{F(pushAck.P50)} / {F(pushAck.P99)}"),
            ("send lag p50/p99 ms", $"{F(sendLag.P50)} / {F(sendLag.P99)}"),
            (nodes > 1 ? "server CPU s, all nodes (ms/1k)" : "server CPU s (ms/1k deliv.)", serverCpu is null ? "- (no --server-pid)" : $"{serverCpu:0.00} ({cpuPer1k})"),
            (nodes > 1 ? "server peak RSS MB, all nodes" : "server peak RSS MB", serverJson["rss_peak_mb"]?.ToString() ?? "-"),
        ]);
        if (redisJson is not null)
        {
            rows.Add(("redis CPU s / peak RSS MB", $"{redisJson["cpu_measured_s"]?.ToString() ?? "-"} / {redisJson["rss_peak_mb"]?.ToString() ?? "-"}"));
        }

        if (floodSummary is not null)
        {
            rows.Add(("flooder", floodSummary));
        }

        rows.Add(("bench CPU util (1 = a core)", $"{benchUtil:0.00}"));
        rows.Add(("error frames / failures", $"{errors} / {failures.Length}"));
        var title = $"{scenarioName} R={p.Rate:0.#}/s  ({context.RunId}{tag})";
        return new FanoutOutcome(new ScenarioReport(title, record, rows, ok), latency, missed + warmupMissed, devices.Max(d => d.Cursor));
    }

    private static string F(double? ms) => LatencySummary.Format(ms);

    private static double? Round(double? ms) => ms is null ? null : Math.Round(ms.Value, 3);
}
