using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Output;

namespace NoteSync.Bench.Scenarios.History;

/// <summary>
/// History: one device writes <c>--notes</c> notes of <c>--min-size</c>..<c>--max-size</c> bytes of prose,
/// then edits each between <c>--min-edits</c> and <c>--max-edits</c> times (seeded), one small edit at a
/// time, each with the version it was made from as its <c>base</c>, as a client sends an edit. Pushes of
/// <c>--batch</c> writes, each acknowledged before the next; the rounds go over every note still to be
/// edited, so a note's edits are spread over the run as a space's would be. The store's size is read by
/// whoever started the server (bench/run.sh: the data folder after <c>compact</c>, or Redis's memory);
/// the scenario reports what it wrote and what the kept versions would take compressed or as deltas
/// (<see cref="HistoryEstimate"/>), for the <c>--versions-per-note</c> the server keeps.
/// </summary>
internal sealed class HistoryScenario(BenchContext context)
{
    public async Task<ScenarioReport> RunAsync()
    {
        var o = context.Options;
        var ct = context.Deadline;
        var runPrefix = $"note:{context.RunId}/";
        var keyPrefix = $"{runPrefix}h/";
        var writer = new BenchDevice(0, $"{context.RunId}-writer", runPrefix, keyPrefix, NullObserver.Instance);
        var random = new Random(o.Seed);
        var notes = new List<string>[o.Notes];
        var edits = new int[o.Notes];
        var kept = new Queue<string>[o.Notes];
        var heads = new BaseVersion[o.Notes];
        long writes = 0, bytesSent = 0;
        var start = Ticks.Now;
        try
        {
            await context.Connector.ConnectAsync(writer, 0, TimeSpan.FromSeconds(60), ct);
            await writer.Synced.WaitAsync(TimeSpan.FromSeconds(60), ct);
            for (var n = 0; n < o.Notes; n++)
            {
                notes[n] = NoteText.NewNote(random, n, random.Next(o.MinSize, o.MaxSize + 1));
                edits[n] = random.Next(o.MinEdits, o.MaxEdits + 1);
                kept[n] = new Queue<string>(Math.Min(o.VersionsPerNote, edits[n] + 1) + 1);
            }

            for (var round = 0; round <= o.MaxEdits; round++)
            {
                var due = Enumerable.Range(0, o.Notes).Where(n => edits[n] >= round).ToArray();
                for (var b = 0; b < due.Length; b += o.Batch)
                {
                    var batch = due.AsSpan(b, Math.Min(o.Batch, due.Length - b)).ToArray();
                    var texts = new TextWrite[batch.Length];
                    for (var j = 0; j < batch.Length; j++)
                    {
                        var n = batch[j];
                        if (round > 0)
                        {
                            NoteText.Edit(random, notes[n], o.MinSize, o.MaxSize);
                        }

                        var text = NoteText.Join(notes[n]);
                        Keep(kept[n], text, o.VersionsPerNote);
                        texts[j] = new TextWrite($"{keyPrefix}{n:D6}", text, round == 0 ? [] : [heads[n]]);
                        bytesSent += text.Length;
                    }

                    var push = PushRequest.TextBatch(texts);
                    writer.Enqueue(push);
                    await push.Completion!.Task.WaitAsync(TimeSpan.FromSeconds(120), ct);
                    for (var j = 0; j < batch.Length; j++)
                    {
                        heads[batch[j]] = new BaseVersion(push.FirstTimestamp + j, writer.DeviceId);
                    }

                    writes += batch.Length;
                }
            }
        }
        finally
        {
            await writer.DisposeAsync();
        }

        var elapsedS = Ticks.ToMs(Ticks.Now - start) / 1000;
        var estimate = new HistoryEstimate();
        foreach (var versions in kept)
        {
            estimate.Add([.. versions]);
        }

        var keyBytes = (long)o.Notes * $"{keyPrefix}{0:D6}".Length;
        var record = context.NewRecord("history");
        record["ok"] = true;
        record["params"] = new JsonObject
        {
            ["notes"] = o.Notes, ["min_size"] = o.MinSize, ["max_size"] = o.MaxSize, ["min_edits"] = o.MinEdits,
            ["max_edits"] = o.MaxEdits, ["batch"] = o.Batch, ["versions_per_note"] = o.VersionsPerNote, ["seed"] = o.Seed,
        };
        record["writes"] = writes;
        record["bytes_sent"] = bytesSent;
        record["notes_at_retention"] = edits.Count(e => e + 1 >= o.VersionsPerNote);
        record["key_bytes"] = keyBytes;
        record["kept"] = estimate.ToJson();
        record["elapsed_s"] = Math.Round(elapsedS, 1);
        if (o.DataDir is { } directory)
        {
            record["folder_bytes_live"] = new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        }

        const double MB = 1_000_000;
        var rows = new List<(string, string)>
        {
            ("notes, size, edits per note", $"{o.Notes}, {o.MinSize}..{o.MaxSize} B, {o.MinEdits}..{o.MaxEdits} (mean {edits.Average():0.#})"),
            ("writes / MB sent / s", $"{writes} / {bytesSent / MB:0.0} / {elapsedS:0.0}"),
            ($"notes at {o.VersionsPerNote} versions", $"{record["notes_at_retention"]}"),
            ("current texts + keys MB", $"{(estimate.HeadBytes + keyBytes) / MB:0.00}"),
            ("kept replaced versions / MB", $"{estimate.Replaced} / {estimate.ReplacedBytes / MB:0.00}"),
            ("  each Deflated / Brotli MB", $"{estimate.DeflateBytes / MB:0.00} / {estimate.BrotliBytes / MB:0.00}"),
            ("  as line deltas MB", $"{estimate.DeltaBytes / MB:0.00}"),
            ("  a note's together, Brotli MB", $"{estimate.NoteBrotliBytes / MB:0.00}"),
            ("data folder MB, live", record["folder_bytes_live"] is { } live ? $"{live.GetValue<long>() / MB:0.0}" : "-"),
        };
        return new ScenarioReport($"history ({context.RunId})", record, rows, Ok: true);
    }

    // The newest versions a store keeps of a note, oldest first.
    private static void Keep(Queue<string> versions, string text, int limit)
    {
        versions.Enqueue(text);
        while (versions.Count > limit)
        {
            versions.Dequeue();
        }
    }
}
