using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Output;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// Idle connections: what C handshaken, silent devices cost the server in memory. A probe device
/// pulls the whole space first; the C devices then pull from its cursor, so the figure is the cost
/// of a connection and not of sending C copies of existing notes.
/// </summary>
internal sealed class IdleScenario(BenchContext context)
{
    public async Task<ScenarioReport> RunAsync()
    {
        var o = context.Options;
        var ct = context.Deadline;
        var runPrefix = $"note:{context.RunId}/";
        using var server = context.ServerSampler();
        var probe = new BenchDevice(-1, $"{context.RunId}-probe", runPrefix, $"{runPrefix}probe/", NullObserver.Instance);
        var devices = new BenchDevice[o.Connections];
        for (var c = 0; c < devices.Length; c++)
        {
            devices[c] = new BenchDevice(c, $"{context.RunId}-c{c}", runPrefix, $"{runPrefix}c{c}/", NullObserver.Instance)
            {
                Node = context.Connector.NodeOf(c),
            };
        }

        ConnectOutcome outcome;
        long? before, after;
        double closeMs;
        try
        {
            await context.Connector.ConnectAsync(probe, 0, TimeSpan.FromSeconds(60), ct);
            await probe.Synced.WaitAsync(TimeSpan.FromSeconds(60), ct);
            await Task.Delay(300, ct);
            before = server.RssKb();
            outcome = await context.Connector.ConnectManyAsync(devices, probe.Cursor, o.Concurrency, ct);
            await Task.Delay(TimeSpan.FromSeconds(o.IdleSeconds), ct);
            after = server.RssKb();
        }
        finally
        {
            closeMs = await DeviceConnector.CloseManyAsync(devices, o.Concurrency);
            await probe.DisposeAsync();
        }

        var serverJson = server.Stop();
        double? perConnKb = before is { } b && after is { } a && outcome.Opened > 0 ? Math.Round((a - b) / (double)outcome.Opened, 1) : null;
        var dropped = devices.Count(d => d.Failure is not null);
        var ok = outcome.Failed == 0 && dropped == 0;
        var record = context.NewRecord("idle");
        record["ok"] = ok;
        record["params"] = new JsonObject { ["connections"] = o.Connections, ["concurrency"] = o.Concurrency, ["idle_s"] = o.IdleSeconds };
        record["opened"] = outcome.Opened;
        record["failed"] = outcome.Failed;
        record["first_error"] = outcome.FirstError;
        record["dropped_while_idle"] = dropped;
        record["open_ms"] = Math.Round(outcome.ElapsedMs, 1);
        record["close_ms"] = Math.Round(closeMs, 1);
        record["rss_before_mb"] = ProcessSampler.Mb(before);
        record["rss_after_mb"] = ProcessSampler.Mb(after);
        record["rss_per_conn_kb"] = perConnKb;
        record["server"] = serverJson;

        var rows = new List<(string, string)>
        {
            ("connections opened / failed", $"{outcome.Opened} / {outcome.Failed} ({o.Concurrency} at a time)"),
            ("open time ms", $"{outcome.ElapsedMs:0} ({outcome.Opened / (outcome.ElapsedMs / 1000):0} conn/s)"),
            ("server RSS before / after MB", $"{ProcessSampler.Mb(before)?.ToString() ?? "-"} / {ProcessSampler.Mb(after)?.ToString() ?? "-"}"),
            ("KB per connection", perConnKb?.ToString() ?? "- (no --server-pid)"),
            ("dropped while idle", $"{dropped}"),
            ("close time ms", $"{closeMs:0}"),
        };
        return new ScenarioReport($"idle C={o.Connections} ({context.RunId})", record, rows, ok);
    }
}
