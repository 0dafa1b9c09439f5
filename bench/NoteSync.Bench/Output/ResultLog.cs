using System.Text.Json;
using System.Text.Json.Nodes;

namespace NoteSync.Bench.Output;

/// <summary>Appends one JSON object per run to the results file (JSON Lines), creating its folder.</summary>
internal sealed class ResultLog(string path)
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>bench/results/&lt;utc stamp&gt;.jsonl under the repository root (found from the working directory), else under it.</summary>
    public static string DefaultPath(DateTime utcNow)
    {
        var root = FindRepoRoot(Directory.GetCurrentDirectory()) ?? Directory.GetCurrentDirectory();
        return System.IO.Path.Combine(root, "bench", "results", $"{utcNow:yyyyMMdd'T'HHmmss'Z'}.jsonl");
    }

    public void Append(JsonObject record)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        File.AppendAllText(Path, record.ToJsonString(Compact) + "\n");
    }

    private static string? FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "NoteSync.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
