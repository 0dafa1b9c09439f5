using System.Text.Json.Nodes;
using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Output;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// Storage: one device writes <c>--pushes</c> rounds of <c>--notes</c> new notes, keys of exactly
/// <c>--key-bytes</c> UTF-8 bytes (<c>note:</c> included) and values of <c>--note-size</c> bytes, in pushes
/// of <c>--batch</c> writes, each acknowledged (durable) before the next; after each round it sums the
/// files of the server's data directory (<c>--data-dir</c>: the database, its WAL and shared memory).
/// The figure is the SQLite store's on-disk cost per note against the bytes the notes hold.
/// </summary>
internal sealed class StorageScenario(BenchContext context)
{
    // Key numbers of six digits, so every key has the same length.
    private const long FirstKeyNumber = 100_000;

    public async Task<ScenarioReport> RunAsync()
    {
        var o = context.Options;
        var ct = context.Deadline;
        var directory = o.DataDir ?? throw new InvalidOperationException("storage needs --data-dir");
        var runPrefix = $"note:{context.RunId}/";
        var keyPrefix = $"{runPrefix}s/";
        var padding = o.KeyBytes - keyPrefix.Length - 1 - 6;
        if (padding < 0)
        {
            throw new InvalidOperationException($"--key-bytes {o.KeyBytes} is shorter than the run's key prefix and number ({keyPrefix.Length + 7} bytes)");
        }

        var writer = new BenchDevice(0, $"{context.RunId}-writer", runPrefix, $"{keyPrefix}{new string('k', padding)}/", NullObserver.Instance);
        var rounds = new List<(long Folder, long Database, long Wal, double Ms)>();
        try
        {
            await context.Connector.ConnectAsync(writer, 0, TimeSpan.FromSeconds(60), ct);
            await writer.Synced.WaitAsync(TimeSpan.FromSeconds(60), ct);
            var random = new Random(o.Seed);
            for (var round = 0; round < o.Pushes; round++)
            {
                var start = Ticks.Now;
                for (var b = 0; b < o.Notes; b += o.Batch)
                {
                    var batch = new WriteSpec[Math.Min(o.Batch, o.Notes - b)];
                    for (var j = 0; j < batch.Length; j++)
                    {
                        var n = ((long)round * o.Notes) + b + j;
                        batch[j] = new WriteSpec(FirstKeyNumber + n, n, o.NoteSize, random.Next(ValuePayload.MaxSize));
                    }

                    var push = PushRequest.Batch(batch);
                    writer.Enqueue(push);
                    await push.Completion!.Task.WaitAsync(TimeSpan.FromSeconds(120), ct);
                }

                var ms = Ticks.ToMs(Ticks.Now - start);
                rounds.Add((FolderBytes(directory), FileBytes(directory, "notesync.db"), FileBytes(directory, "notesync.db-wal"), ms));
            }
        }
        finally
        {
            await writer.DisposeAsync();
        }

        var notes = (long)o.Pushes * o.Notes;
        var dataBytes = notes * (o.KeyBytes + o.NoteSize);
        var last = rounds[^1];
        var record = context.NewRecord("storage");
        record["ok"] = true;
        record["params"] = new JsonObject { ["pushes"] = o.Pushes, ["notes"] = o.Notes, ["key_bytes"] = o.KeyBytes, ["note_size"] = o.NoteSize, ["batch"] = o.Batch, ["seed"] = o.Seed };
        record["data_bytes"] = dataBytes;
        record["rounds"] = new JsonArray([.. rounds.Select(r => (JsonNode?)new JsonObject
        {
            ["folder_bytes"] = r.Folder,
            ["db_bytes"] = r.Database,
            ["wal_bytes"] = r.Wal,
            ["ms"] = Math.Round(r.Ms, 1),
        })]);
        record["folder_bytes_per_note"] = last.Folder / notes;
        record["db_bytes_per_note"] = last.Database / notes;

        const double MB = 1_000_000;
        var rows = new List<(string, string)>
        {
            ("rounds x notes", $"{o.Pushes} x {o.Notes} (pushes of {o.Batch}), key {o.KeyBytes} B, value {o.NoteSize} B"),
            ("data (keys + values) MB", $"{dataBytes / MB:0.0}"),
            ("folder MB after each round", string.Join(", ", rounds.Select(r => (r.Folder / MB).ToString("0.0")))),
            ("database / WAL MB at the end", $"{last.Database / MB:0.0} / {last.Wal / MB:0.0}"),
            ("folder / database bytes per note", $"{last.Folder / notes} / {last.Database / notes} (data {o.KeyBytes + o.NoteSize})"),
            ("round ms", string.Join(", ", rounds.Select(r => r.Ms.ToString("0")))),
        };
        return new ScenarioReport($"storage ({context.RunId})", record, rows, Ok: true);
    }

    private static long FolderBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static long FileBytes(string directory, string name) =>
        File.Exists(Path.Combine(directory, name)) ? new FileInfo(Path.Combine(directory, name)).Length : 0;
}
