using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace NoteSync.Bench.Scenarios.History;

/// <summary>
/// What the versions a store keeps of each note would take in other forms, computed from the very texts
/// the scenario wrote: as written (full texts), each compressed alone (Deflate, Brotli), as line deltas
/// (each replaced version as the lines that differ from the next newer one), and each note's replaced
/// versions compressed together. The newest version (the head) is the note's current text in every form.
/// </summary>
internal sealed class HistoryEstimate
{
    // Brotli as a server would run it per write: a middle quality, a window larger than any note's history.
    private const int BrotliQuality = 5;
    private const int BrotliWindow = 22;

    // A line delta's own bytes besides its lines: where the changed stretch starts and how long it is.
    private const int DeltaHeader = 8;

    private readonly byte[] _scratch = new byte[1 << 22];

    public long Heads { get; private set; }

    public long HeadBytes { get; private set; }

    public long Replaced { get; private set; }

    public long ReplacedBytes { get; private set; }

    public long DeflateBytes { get; private set; }

    public long BrotliBytes { get; private set; }

    public long DeltaBytes { get; private set; }

    public long NoteBrotliBytes { get; private set; }

    /// <summary>Adds one note's kept versions, oldest first; the last is its head.</summary>
    public void Add(IReadOnlyList<string> versions)
    {
        Heads++;
        HeadBytes += Encoding.UTF8.GetByteCount(versions[^1]);
        var together = new StringBuilder();
        for (var i = 0; i < versions.Count - 1; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(versions[i]);
            Replaced++;
            ReplacedBytes += bytes.Length;
            DeflateBytes += Deflate(bytes);
            BrotliBytes += Brotli(bytes);
            DeltaBytes += LineDelta(versions[i], versions[i + 1]);
            together.Append(versions[i]);
        }

        if (together.Length > 0)
        {
            NoteBrotliBytes += Brotli(Encoding.UTF8.GetBytes(together.ToString()));
        }
    }

    public JsonObject ToJson() => new()
    {
        ["heads"] = Heads,
        ["head_bytes"] = HeadBytes,
        ["replaced_versions"] = Replaced,
        ["replaced_bytes"] = ReplacedBytes,
        ["replaced_deflate_bytes"] = DeflateBytes,
        ["replaced_brotli_bytes"] = BrotliBytes,
        ["replaced_line_delta_bytes"] = DeltaBytes,
        ["replaced_per_note_brotli_bytes"] = NoteBrotliBytes,
    };

    private static long Deflate(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(bytes);
        }

        return output.Length;
    }

    private long Brotli(byte[] bytes) =>
        BrotliEncoder.TryCompress(bytes, _scratch, out var written, BrotliQuality, BrotliWindow)
            ? written
            : throw new InvalidOperationException($"a history of {bytes.Length} bytes did not fit the Brotli buffer");

    // The older version as the lines between the common first and last lines of both: what a reverse
    // delta from the newer one has to hold (every edit here is one stretch of lines).
    private static long LineDelta(string older, string newer)
    {
        var a = older.Split('\n');
        var b = newer.Split('\n');
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)])
        {
            suffix++;
        }

        var changed = 0L;
        for (var i = prefix; i < a.Length - suffix; i++)
        {
            changed += Encoding.UTF8.GetByteCount(a[i]) + 1;
        }

        return DeltaHeader + changed;
    }
}
