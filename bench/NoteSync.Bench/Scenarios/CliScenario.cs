using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Output;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// The <c>notesync</c> CLI, as a person runs it, process start to exit included:
/// <list type="number">
/// <item>upload: <c>notesync push</c> of a folder of N new notes into the server's space;</item>
/// <item>download: <c>notesync pull</c> into a fresh, empty folder, REPS times (each a new device), checked
/// file by file against the uploaded folder;</item>
/// <item>edit to remote file: <c>notesync sync</c> on the uploaded folder (A) and on a pulled one (B); the bench
/// saves files in A the way editors do (temp file, then rename), half of them new notes and half edits of
/// existing ones, open loop at --edit-rate, and times each until B's file holds the new content. This
/// includes A's debounce, the push, the server, the live push to B and B's atomic write.</item>
/// </list>
/// The CLI processes inherit the bench's core; the server runs on its own.
/// </summary>
internal sealed class CliScenario(BenchContext context)
{
    private static readonly TimeSpan OneShotTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(30);

    public async Task<ScenarioReport> RunAsync()
    {
        var o = context.Options;
        var ct = context.Deadline;
        var cli = o.CliDll ?? throw new ArgumentException("scenario cli needs --cli <path to notesync.dll>");
        var server = new Uri($"http://{o.Url.Host}:{o.Url.Port}/").ToString();
        var root = Directory.CreateTempSubdirectory("notesync-bench-cli-").FullName;
        using var sampler = context.ServerSampler();
        try
        {
            var seed = Path.Combine(root, "seed");
            var seedBytes = WriteSeedFolder(seed, o.Notes, o.NoteSize);
            var pushMs = await RunOneShotAsync(cli, ["push", seed, "--server", server, "--device", $"{context.RunId}-a"], ct);

            var pullMs = new List<double>();
            var pulled = "";
            for (var r = 0; r < o.Reps; r++)
            {
                pulled = Path.Combine(root, $"pull{r}");
                pullMs.Add(await RunOneShotAsync(cli, ["pull", pulled, "--server", server, "--device", $"{context.RunId}-b{r}"], ct));
                var (count, bytes) = CountNotes(pulled);
                if (count != o.Notes || bytes != seedBytes)
                {
                    throw new InvalidOperationException($"pull {r} brought {count} notes / {bytes} bytes; the space holds {o.Notes} / {seedBytes}");
                }
            }

            var latency = await MeasureEditLatencyAsync(cli, server, seed, $"{context.RunId}-a", pulled, $"{context.RunId}-b{o.Reps - 1}", ct);
            var serverJson = sampler.Stop();
            var summary = LatencySamples.Summarize(latency.Samples);
            var record = context.NewRecord("cli");
            record["ok"] = latency.Missed == 0;
            record["params"] = new JsonObject
            {
                ["notes"] = o.Notes, ["note_size"] = o.NoteSize, ["reps"] = o.Reps, ["edits"] = o.Edits, ["edit_rate"] = o.EditRate, ["seed"] = o.Seed,
            };
            record["push_ms"] = Math.Round(pushMs, 1);
            record["pull_runs_ms"] = new JsonArray([.. pullMs.Select(t => (JsonNode?)Math.Round(t, 1))]);
            record["edit_to_remote_ms"] = summary.ToJson();
            record["edits_missed"] = latency.Missed;
            record["server"] = serverJson;

            var rows = new List<(string, string)>
            {
                ("notes x size", $"{o.Notes:N0} x {o.NoteSize} B"),
                ("push (fresh upload) ms", $"{pushMs:0} ({o.Notes / (pushMs / 1000):0} notes/s)"),
                ("pull into an empty folder ms", string.Join(", ", pullMs.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))),
                ("edit -> remote file p50 / p90 / p99 / max ms",
                    $"{LatencySummary.Format(summary.P50)} / {LatencySummary.Format(summary.P90)} / {LatencySummary.Format(summary.P99)} / {LatencySummary.Format(summary.Max)}"),
                ("edits timed / missed", $"{summary.Count} / {latency.Missed} (at {o.EditRate}/s, not seen within {ArrivalTimeout.TotalSeconds:0} s = missed)"),
                ("server peak RSS MB", serverJson["rss_peak_mb"]?.ToString() ?? "-"),
            };
            return new ScenarioReport($"cli ({context.RunId})", record, rows, Ok: latency.Missed == 0);
        }
        finally
        {
            TryDelete(root);
        }
    }

    private static async Task<double> RunOneShotAsync(string cli, string[] args, CancellationToken ct)
    {
        var start = Ticks.Now;
        using var run = CliProcessRunner.Start(cli, args);
        await run.WaitSuccessAsync(OneShotTimeout, ct);
        return Ticks.ToMs(Ticks.Now - start);
    }

    private async Task<(List<double> Samples, int Missed)> MeasureEditLatencyAsync(
        string cli, string server, string folderA, string deviceA, string folderB, string deviceB, CancellationToken ct)
    {
        var o = context.Options;
        using var syncA = CliProcessRunner.Start(cli, ["sync", folderA, "--server", server, "--device", deviceA]);
        using var syncB = CliProcessRunner.Start(cli, ["sync", folderB, "--server", server, "--device", deviceB]);
        try
        {
            // Both are live once a probe saved in A shows up in B.
            var probe = $"probe {context.RunId}";
            SaveLikeAnEditor(Path.Combine(folderA, "bench", "probe.md"), probe);
            if (!await WaitForContentAsync(Path.Combine(folderB, "bench", "probe.md"), probe, TimeSpan.FromSeconds(60), ct))
            {
                throw new InvalidOperationException($"the probe did not reach B within 60 s\nA:\n{syncA.Output}\nB:\n{syncB.Output}");
            }

            var pending = new ConcurrentDictionary<string, (string Content, long SavedAt)>(StringComparer.Ordinal);
            var samples = new List<double>();
            using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var poller = Task.Run(() => PollArrivalsAsync(pending, samples, stopPolling.Token), ct);
            var start = Ticks.Now;
            var interval = 1000.0 / o.EditRate;
            for (var k = 0; k < o.Edits; k++)
            {
                var due = start + Ticks.FromMs(k * interval);
                var wait = Ticks.ToMs(due - Ticks.Now);
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), ct);
                }

                // Half new notes, half edits of uploaded ones.
                var relative = k % 2 == 0 ? Path.Combine("bench", $"new{k}.md") : SeedRelativePath((int)((k * 7919L) % o.Notes));
                var content = $"edit {k} of {context.RunId}\n" + Pad(k, o.NoteSize);
                SaveLikeAnEditor(Path.Combine(folderA, relative), content);
                pending[Path.Combine(folderB, relative)] = (content, Ticks.Now);
            }

            var deadline = Ticks.Now + Ticks.FromMs(ArrivalTimeout.TotalMilliseconds);
            while (!pending.IsEmpty && Ticks.Now < deadline)
            {
                await Task.Delay(50, ct);
            }

            await stopPolling.CancelAsync();
            await poller;
            lock (samples)
            {
                return ([.. samples], pending.Count);
            }
        }
        finally
        {
            await syncA.StopAsync();
            await syncB.StopAsync();
        }
    }

    private static async Task PollArrivalsAsync(ConcurrentDictionary<string, (string Content, long SavedAt)> pending, List<double> samples, CancellationToken ct)
    {
        // Polling, not a file watcher: the bench must not depend on the mechanism it measures. 2 ms is far below the figures.
        while (!ct.IsCancellationRequested)
        {
            foreach (var (path, (content, savedAt)) in pending)
            {
                if (ReadOrNull(path) == content)
                {
                    var now = Ticks.Now;
                    pending.TryRemove(path, out _);
                    lock (samples)
                    {
                        samples.Add(Ticks.ToMs(now - savedAt));
                    }
                }
            }

            try
            {
                await Task.Delay(2, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<bool> WaitForContentAsync(string path, string content, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Ticks.Now + Ticks.FromMs(timeout.TotalMilliseconds);
        while (Ticks.Now < deadline)
        {
            if (ReadOrNull(path) == content)
            {
                return true;
            }

            await Task.Delay(20, ct);
        }

        return false;
    }

    /// <summary>Writes N notes of the given size in folders of 500; returns the total bytes.</summary>
    private static long WriteSeedFolder(string folder, int notes, int size)
    {
        long total = 0;
        for (var i = 0; i < notes; i++)
        {
            var path = Path.Combine(folder, SeedRelativePath(i));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var bytes = Encoding.UTF8.GetBytes($"# note {i}\n" + Pad(i, size));
            File.WriteAllBytes(path, bytes);
            total += bytes.Length;
        }

        return total;
    }

    private static string SeedRelativePath(int i) =>
        Path.Combine(FormattableString.Invariant($"n{i / 500:000}"), FormattableString.Invariant($"{i:00000}.md"));

    private static string Pad(int i, int size)
    {
        var builder = new StringBuilder(size);
        while (builder.Length < size)
        {
            builder.Append((char)('a' + ((i + builder.Length) % 26)));
        }

        return builder.ToString();
    }

    private static (int Count, long Bytes) CountNotes(string folder)
    {
        var count = 0;
        long bytes = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*.md", SearchOption.AllDirectories))
        {
            if (!Path.GetRelativePath(folder, file).StartsWith('.'))
            {
                count++;
                bytes += new FileInfo(file).Length;
            }
        }

        return (count, bytes);
    }

    private static void SaveLikeAnEditor(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".swp");
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A CLI that ignored its stop may still hold a file; the temp dir is left for the OS.
        }
    }
}
