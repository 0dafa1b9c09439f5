using System.CommandLine;
using System.Text.Json;
using NoteSync.Shared;

namespace NoteSync.Cli.Commands;

/// <summary><c>notesync conflicts [folder] [--json]</c>: one line per note in conflict, with its conflict copies.</summary>
internal static class ConflictsCommand
{
    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: true);
        var json = JsonResult.Option();
        var command = new Command("conflicts", "List the notes in conflict, one per line: the note's path, then its conflict copies (name.conflict-<device>.md). Prints nothing when there are none. Needs no server.");
        command.Arguments.Add(folder);
        command.Options.Add(json);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            async _ =>
            {
                var layout = FolderArgument.Existing(result.GetValue(folder)!);
                var conflicts = new List<(string Path, IReadOnlyList<string> Copies)>();
                if (FolderLock.TryAcquire(layout) is { } held)
                {
                    await using var session = FolderSession.Open(layout.Root, ConnectionOptions.Offline, needServer: false, held);
                    foreach (var path in session.Sync.CurrentConflictPaths().Order(StringComparer.Ordinal))
                    {
                        conflicts.Add((path, [.. session.Sync.CopiesOf(path).Select(c => c.Path)]));
                    }
                }
                else
                {
                    // The running sync holds the index; the copies are found by their names.
                    using var doc = StatusFile.Read(layout) ?? throw new CliException(ExitCodes.Locked, "a sync is starting on this folder; try again in a moment");
                    foreach (var path in doc.RootElement.GetProperty("conflicts").EnumerateArray().Select(e => e.GetString()!))
                    {
                        conflicts.Add((path, [.. CopiesOf(layout, path)]));
                    }
                }

                if (result.GetValue(json))
                {
                    JsonResult.Write(w => WriteJson(w, conflicts));
                    return ExitCodes.Ok;
                }

                foreach (var (path, copies) in conflicts)
                {
                    Console.Out.WriteLine(PrintableText.Escape(string.Join("  ", [path, .. copies])));
                }

                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    /// <summary><c>{"conflicts": [{"path": "plans.md", "copies": ["plans.conflict-phone.md"]}]}</c>.</summary>
    private static void WriteJson(Utf8JsonWriter w, IEnumerable<(string Path, IReadOnlyList<string> Copies)> conflicts)
    {
        w.WriteStartObject();
        w.WriteStartArray("conflicts");
        foreach (var (path, copies) in conflicts)
        {
            w.WriteStartObject();
            w.WriteString("path", path);
            JsonResult.WriteStrings(w, "copies", copies);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static IEnumerable<string> CopiesOf(FolderLayout layout, string notePath)
    {
        var (dir, prefix, ext) = NotePaths.ConflictPattern(notePath);
        var fullDir = dir.Length == 0 ? layout.Root : NotePaths.FullOf(layout.Root, dir);
        return Directory.Exists(fullDir)
            ? Directory.EnumerateFiles(fullDir, prefix + "*" + ext).Where(f => NotePaths.IsConflictName(Path.GetFileName(f))).Select(f => NotePaths.RelativeOf(layout.Root, f)!).Order(StringComparer.Ordinal)
            : [];
    }
}
