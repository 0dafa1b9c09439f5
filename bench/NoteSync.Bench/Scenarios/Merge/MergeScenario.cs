using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Output;

namespace NoteSync.Bench.Scenarios.Merge;

/// <summary>
/// Merge: one group of devices, on one open-loop schedule at <c>--rate</c>, makes (a) ordinary writes of new
/// notes, as the fan-out does, and (b) pairs of concurrent edits of one multi-line note from the same base,
/// touching lines far apart, so the server merges each pair cleanly (docs/protocol.md §2.3) and every device
/// receives the merged version. The slots go in fours: two ordinary writes, then a pair's two edits, each
/// by the next device round the group. Reports both latencies side by side, and every pair whose merge
/// never arrived.
/// </summary>
internal sealed class MergeScenario(BenchContext context)
{
    // Base notes per push while setting up: small frames, each acknowledged before the next.
    private const int SetupBatch = 500;

    public async Task<ScenarioReport> RunAsync()
    {
        var o = context.Options;
        var ct = context.Deadline;
        var p = new FanoutParams(1, o.Devices, o.Writes, o.Rate, o.Warmup, o.MinSize, o.MaxSize, o.DrainSeconds, o.Seed);
        var d = p.Devices;
        var runPrefix = $"note:{context.RunId}/";
        var ordinaryCount = p.TotalWrites;
        var pairs = (ordinaryCount + 1) / 2;
        var warmupPairs = (p.WarmupWrites + 1) / 2;

        // Slot s of quad q = s / 4: ordinary writes 2q and 2q + 1, then pair q's first and second edit.
        var slots = new List<(bool Ordinary, int Index)>(pairs * 4);
        for (var q = 0; q < pairs; q++)
        {
            for (var k = 0; k < 2; k++)
            {
                if ((2 * q) + k < ordinaryCount)
                {
                    slots.Add((true, (2 * q) + k));
                }
            }

            slots.Add((false, 2 * q));
            slots.Add((false, (2 * q) + 1));
        }

        // Quad q's writers are devices q, q + 1, q + 2 and q + 3 round the group, so every device does both.
        static int OrdinaryWriter(long w, int devices) => (int)(((w / 2) + (w % 2)) % devices);
        var editors = new int[pairs * 2];
        for (var q = 0; q < pairs; q++)
        {
            editors[2 * q] = (q + 2) % d;
            editors[(2 * q) + 1] = (q + 3) % d;
        }

        var ordinarySchedule = new long[ordinaryCount];
        var secondScheduled = new long[pairs];
        // Scale-out: devices round-robin over the nodes, as in the fan-out.
        var nodeOf = Enumerable.Range(0, d).Select(context.Connector.NodeOf).ToArray();
        var ordinary = new DeliveryTracker(p, ordinarySchedule, nodeOf, w => OrdinaryWriter(w, d));
        var tracker = new MergeTracker(ordinary, d, secondScheduled, editors, warmupPairs);
        var devices = new BenchDevice[d];
        for (var k = 0; k < d; k++)
        {
            devices[k] = new BenchDevice(k, $"{context.RunId}-g0-d{k}", runPrefix, $"{runPrefix}g0/d{k}/", tracker) { Node = nodeOf[k] };
        }

        using var server = context.ServerSampler();
        using var redis = context.RedisSampler();
        try
        {
            var connect = await context.Connector.ConnectManyAsync(devices, 0, 50, ct);
            if (connect.Failed > 0)
            {
                throw new InvalidOperationException($"{connect.Failed} of {devices.Length} devices failed to connect: {connect.FirstError}");
            }

            await Task.WhenAll(devices.Select(x => x.Synced)).WaitAsync(TimeSpan.FromSeconds(60), ct);
            var bases = await WriteOriginalsAsync(devices, runPrefix, pairs, ct);

            var random = new Random(p.Seed);
            var t0 = Ticks.Now + Ticks.FromMs(50);
            var schedule = new long[slots.Count];
            var requests = new PushRequest[slots.Count];
            var writers = new int[slots.Count];
            for (var s = 0; s < slots.Count; s++)
            {
                schedule[s] = t0 + Ticks.FromMs(s * 1000.0 / p.Rate);
                var (isOrdinary, index) = slots[s];
                if (isOrdinary)
                {
                    ordinarySchedule[index] = schedule[s];
                    writers[s] = OrdinaryWriter(index, d);
                    var spec = new WriteSpec(index, index, random.Next(p.MinSize, p.MaxSize + 1), random.Next(ValuePayload.MaxSize));
                    requests[s] = PushRequest.Write(spec, schedule[s], measured: index >= p.WarmupWrites);
                }
                else
                {
                    var (pair, side) = (index / 2, index % 2);
                    if (side == 1)
                    {
                        secondScheduled[pair] = schedule[s];
                    }

                    writers[s] = editors[index];
                    var edit = new TextWrite(MergeNotes.Key(runPrefix, pair), MergeNotes.Edit(pair, side), [bases[pair]], Tag: index);
                    requests[s] = PushRequest.Text(edit, schedule[s], measured: pair >= warmupPairs);
                }
            }

            var firstMeasured = slots.FindIndex(x => x.Ordinary ? x.Index >= p.WarmupWrites : x.Index / 2 >= warmupPairs);
            var start = CpuMark.Take(server, redis);
            var measureStart = start;
            await OpenLoopScheduler.RunAsync(schedule, s =>
            {
                if (s == firstMeasured)
                {
                    measureStart = CpuMark.Take(server, redis);
                }

                devices[writers[s]].Enqueue(requests[s]);
            }, ct);
            var sendEnd = Ticks.Now;

            var drainUntil = sendEnd + Ticks.FromMs(p.DrainSeconds * 1000);
            while ((ordinary.Delivered < ordinary.Expected || tracker.Delivered < tracker.Expected) && Ticks.Now < drainUntil)
            {
                await Task.Delay(10, ct);
            }

            var end = CpuMark.Take(server, redis);
            var serverJson = server.Stop();
            serverJson["cpu_measured_s"] = end.ServerSecondsSince(measureStart);
            var redisJson = context.RedisJson(redis, end.RedisSecondsSince(measureStart), end.RedisSecondsSince(start));
            return Report(p, devices, ordinary, tracker, schedule, sendEnd, measureStart, end, serverJson, redisJson);
        }
        finally
        {
            await DeviceConnector.CloseManyAsync(devices, 50);
        }
    }

    // Device 0 writes every pair's original as a new note (base []) and the scenario waits until every
    // device's cursor has passed them: each device's clock is then past the originals' timestamps, as an
    // edit's base requires (docs/protocol.md §2.2).
    private static async Task<BaseVersion[]> WriteOriginalsAsync(BenchDevice[] devices, string runPrefix, int pairs, CancellationToken ct)
    {
        var bases = new BaseVersion[pairs];
        long lastAck = 0;
        for (var first = 0; first < pairs; first += SetupBatch)
        {
            var batch = Enumerable.Range(first, Math.Min(SetupBatch, pairs - first))
                .Select(pair => new TextWrite(MergeNotes.Key(runPrefix, pair), MergeNotes.Original(pair), []))
                .ToArray();
            var push = PushRequest.TextBatch(batch);
            devices[0].Enqueue(push);
            lastAck = await push.Completion!.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            for (var j = 0; j < batch.Length; j++)
            {
                bases[first + j] = new BaseVersion(push.FirstTimestamp + j, devices[0].DeviceId);
            }
        }

        var until = Ticks.Now + Ticks.FromMs(60_000);
        while (devices.Any(x => x.Cursor < lastAck))
        {
            if (Ticks.Now > until)
            {
                throw new TimeoutException("devices did not receive the pairs' originals within 60 s");
            }

            await Task.Delay(10, ct);
        }

        return bases;
    }

    private ScenarioReport Report(
        FanoutParams p, BenchDevice[] devices, DeliveryTracker ordinary, MergeTracker merges, long[] schedule, long sendEnd,
        CpuMark measureStart, CpuMark end, JsonObject serverJson, JsonObject? redisJson)
    {
        var plain = ordinary.FromScheduled();
        var plainSent = ordinary.FromSent();
        var merged = merges.FromScheduled();
        var mergedSent = merges.FromSent();
        var mergedOthers = merges.OthersFromScheduled();
        var pushAck = LatencySamples.Summarize(devices.Select(x => x.AckLatency));
        var sendLag = LatencySamples.Summarize(devices.Select(x => x.SendLag));
        var plainMissed = ordinary.MeasuredExpected - ordinary.MeasuredDelivered;
        var mergeMissed = merges.MeasuredExpected - merges.MeasuredDelivered;
        var warmupMissed = ordinary.Expected - ordinary.Delivered - plainMissed + (merges.Expected - merges.Delivered - mergeMissed);
        var unmerged = merges.UnmergedPairs();
        var sendRate = (schedule.Length - 1) / (Ticks.ToMs(sendEnd - schedule[0]) / 1000);
        var serverCpu = end.ServerSecondsSince(measureStart);
        var deliveries = ordinary.MeasuredDelivered + merges.MeasuredDelivered;
        var cpuPer1k = serverCpu is { } cpu && deliveries > 0 ? Math.Round(cpu * 1e6 / deliveries, 1) : (double?)null;
        var errors = devices.Sum(x => x.ErrorFrames);
        var failures = devices.Where(x => x.Failure is not null).Select(x => $"{x.DeviceId}: {x.Failure}").ToArray();
        var ok = plainMissed == 0 && mergeMissed == 0 && warmupMissed == 0 && unmerged == 0 && merges.WrongMerges == 0 && errors == 0 && failures.Length == 0;

        var record = context.NewRecord("merge");
        record["ok"] = ok;
        record["params"] = p.ToJson();
        record["pairs"] = merges.Pairs;
        record["latency_ms"] = plain.ToJson();
        record["latency_from_actual_send_ms"] = plainSent.ToJson();
        record["merge_latency_ms"] = merged.ToJson();
        record["merge_latency_from_actual_send_ms"] = mergedSent.ToJson();
        record["merge_latency_other_devices_ms"] = mergedOthers.ToJson();
        record["conflict_state_latency_ms"] = merges.ToConflict().ToJson();
        record["merge_step_ms"] = merges.MergeStep().ToJson();
        record["merge_p99_ratio"] = Ratio(merged.P99, plain.P99);
        record["merge_p99_ratio_from_actual_send"] = Ratio(mergedSent.P99, plainSent.P99);
        record["push_ack_ms"] = pushAck.ToJson();
        record["send_lag_ms"] = sendLag.ToJson();
        record["expected_deliveries"] = ordinary.MeasuredExpected;
        record["delivered"] = ordinary.MeasuredDelivered;
        record["missed"] = plainMissed;
        record["merge_expected_deliveries"] = merges.MeasuredExpected;
        record["merge_delivered"] = merges.MeasuredDelivered;
        record["merge_missed"] = mergeMissed;
        record["warmup_missed"] = warmupMissed;
        record["unmerged_pairs"] = unmerged;
        record["wrong_merges"] = merges.WrongMerges;
        record["conflict_states_seen"] = merges.ConflictStates;
        record["duplicates"] = ordinary.Duplicates + merges.Duplicates;
        record["foreign"] = devices.Sum(x => x.ForeignChanges) + ordinary.UnknownMarker + merges.Unknown;
        record["send_rate"] = Math.Round(sendRate, 1);
        record["server"] = serverJson;
        record["server_cpu_ms_per_1k_deliveries"] = cpuPer1k;
        record["redis"] = redisJson;
        record["bench_cpu_util"] = end.BenchUtilSince(measureStart);
        record["error_frames"] = errors;
        record["last_error"] = devices.Select(x => x.LastError).FirstOrDefault(e => e is not null);
        record["device_failures"] = new JsonArray([.. failures.Take(5).Select(f => (JsonNode?)JsonValue.Create(f))]);

        var rows = new List<(string, string)>
        {
            ("devices", $"{p.Devices}: {p.TotalWrites} ordinary writes and {merges.Pairs} pairs of edits ({p.WarmupWrites} and {(p.WarmupWrites + 1) / 2} warm-up)"),
            ("rate target / actual", $"{p.Rate:0.#}/s / {sendRate:0.#}/s"),
            ("ordinary p50/p90/p99/max ms", Row(plain)),
            ("  from actual send", Row(plainSent)),
            ("merge p50/p90/p99/max ms (all devices)", Row(merged)),
            ("  from actual send of the later edit", Row(mergedSent)),
            ("  devices that made neither edit", Row(mergedOthers)),
            ("  second edit -> note in conflict", Row(merges.ToConflict())),
            ("  note in conflict -> merged (same device)", Row(merges.MergeStep())),
            ("merge / ordinary p99 (from actual send)", $"{Ratio(merged.P99, plain.P99)} ({Ratio(mergedSent.P99, plainSent.P99)})"),
            ("ordinary delivered / expected (missed)", $"{ordinary.MeasuredDelivered} / {ordinary.MeasuredExpected} ({plainMissed})"),
            ("merges delivered / expected (missed)", $"{merges.MeasuredDelivered} / {merges.MeasuredExpected} ({mergeMissed})"),
            ("warm-up missed (both kinds)", $"{warmupMissed}"),
            ("pairs never merged / wrong merged text", $"{unmerged} / {merges.WrongMerges}"),
            ("conflict states seen before a merge", $"{merges.ConflictStates}"),
            ("push->ack p50/p99 ms", $"{LatencySummary.Format(pushAck.P50)} / {LatencySummary.Format(pushAck.P99)}"),
            ("send lag p50/p99 ms", $"{LatencySummary.Format(sendLag.P50)} / {LatencySummary.Format(sendLag.P99)}"),
            ("server CPU s (ms/1k deliv.)", serverCpu is null ? "- (no --server-pid)" : $"{serverCpu:0.00} ({cpuPer1k})"),
            ("bench CPU util (1 = a core)", $"{end.BenchUtilSince(measureStart):0.00}"),
            ("error frames / failures", $"{errors} / {failures.Length}"),
        };
        return new ScenarioReport($"merge R={p.Rate:0.#}/s  ({context.RunId})", record, rows, ok);
    }

    private static string Row(LatencySummary s) =>
        $"{LatencySummary.Format(s.P50)} / {LatencySummary.Format(s.P90)} / {LatencySummary.Format(s.P99)} / {LatencySummary.Format(s.Max)} (n {s.Count})";

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? Math.Round(x / y, 2) : null;
}
