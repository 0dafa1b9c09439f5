using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Output;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// Fan-out at rising rates until one fails (p99 at or over the limit, or any miss); reports the
/// highest rate that passed. Each rate uses fresh devices and keys, and pulls from the cursor the
/// previous rate reached, so a long-lived server's notes are not re-downloaded at every step.
/// </summary>
internal sealed class SweepScenario(BenchContext context)
{
    public async Task<IReadOnlyList<ScenarioReport>> RunAsync(Action<ScenarioReport> onStep)
    {
        var o = context.Options;
        var scaleOut = context.Connector.NodeCount > 1;
        var fanout = new FanoutScenario(context);
        var reports = new List<ScenarioReport>();
        var grid = new List<IReadOnlyList<string>>();
        double? best = null;
        string? stoppedBy = null;

        var probe = new BenchDevice(-1, $"{context.RunId}-probe", $"note:{context.RunId}/", $"note:{context.RunId}/probe/", NullObserver.Instance);
        long cursor;
        try
        {
            await context.Connector.ConnectAsync(probe, 0, TimeSpan.FromSeconds(60), context.Deadline);
            await probe.Synced.WaitAsync(TimeSpan.FromSeconds(60), context.Deadline);
            cursor = probe.Cursor;
        }
        finally
        {
            await probe.DisposeAsync();
        }

        foreach (var rate in o.Rates.Where(r => r <= o.MaxRate).Order())
        {
            var devices = o.Groups * o.Devices;
            var writes = Math.Max(o.Writes, (int)Math.Ceiling(rate * o.SweepSeconds / devices));
            var p = new FanoutParams(o.Groups, o.Devices, writes, rate, o.Warmup, o.MinSize, o.MaxSize, o.DrainSeconds, o.Seed);
            var outcome = await fanout.RunAsync(p, "sweep", $"-r{rate:0.#}", cursor);
            cursor = Math.Max(cursor, outcome.MaxCursor);
            var pass = outcome.Report.Ok && outcome.Missed == 0 && outcome.Latency.P99 is { } p99 && p99 < o.P99LimitMs;
            outcome.Report.Record["sweep_pass"] = pass;
            outcome.Report.Record["sweep_p99_limit_ms"] = o.P99LimitMs;
            reports.Add(outcome.Report);
            onStep(outcome.Report);
            var r = outcome.Report.Record;
            List<string> row = [
                $"{rate:0.#}", $"{r["send_rate"]}", Ms(outcome, x => x.P50), Ms(outcome, x => x.P99),
                Ms(outcome, x => x.Max), $"{outcome.Missed}", $"{r["duplicates"]}", $"{r["delivered_per_s"]}",
                $"{r["push_ack_ms"]?["p99"]}", $"{r["send_lag_ms"]?["p99"]}", $"{r["server"]?["cpu_measured_s"]}",
                $"{r["server"]?["rss_peak_mb"]}", $"{r["bench_cpu_util"]}", pass ? "yes" : "NO",
            ];
            if (scaleOut)
            {
                row.InsertRange(5, [$"{r["cross_node_p99"]}", $"{r["redis_cpu_s"]}"]);
            }

            grid.Add(row);
            if (!pass)
            {
                stoppedBy = $"R={rate:0.#}: p99 {outcome.Latency.P99:0.0} ms, missed {outcome.Missed}";
                break;
            }

            best = rate;
        }

        List<string> headers = ["R/s", "sent/s", "p50", "p99", "max", "missed", "dup", "deliv/s", "ack p99", "lag p99", "srv cpu s", "srv MB", "bench util", "pass"];
        if (scaleOut)
        {
            headers.InsertRange(5, ["x-node p99", "redis cpu s"]);
        }

        TablePrinter.PrintGrid(
            $"sweep (p99 < {o.P99LimitMs} ms and 0 missed)",
            headers,
            grid,
            Console.Out);

        var summary = context.NewRecord("sweep_summary");
        summary["ok"] = best is not null;
        summary["best_rate"] = best;
        summary["p99_limit_ms"] = o.P99LimitMs;
        summary["stopped_by"] = stoppedBy;
        summary["rates"] = new JsonArray([.. o.Rates.Select(r => (JsonNode?)r)]);
        var rows = new List<(string, string)>
        {
            ("highest passing rate", best is null ? "none" : $"{best:0.#} writes/s ({best * (o.Devices - 1):0.#} deliveries/s)"),
            ("stopped by", stoppedBy ?? "reached the last rate"),
        };
        reports.Add(new ScenarioReport($"sweep summary ({context.RunId})", summary, rows, best is not null));
        return reports;
    }

    private static string Ms(FanoutOutcome outcome, Func<LatencySummary, double?> pick) => LatencySummary.Format(pick(outcome.Latency));
}
