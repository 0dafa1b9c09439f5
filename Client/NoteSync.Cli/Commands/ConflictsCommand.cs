using System.CommandLine;
using NoteSync.Shared;

namespace NoteSync.Cli.Commands;

/// <summary><c>notesync conflicts [folder]</c>: one line per note in conflict, with its conflict copies.</summary>
internal static class ConflictsCommand
{
    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: true);
        var command = new Command("conflicts", "List the notes in conflict, one per line: the note's path, then its conflict copies (name.conflict-<device>.md). Prints nothing when there are none. Needs no server.");
        command.Arguments.Add(folder);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(
            async _ =>
            {
                var layout = FolderArgument.Existing(result.GetValue(folder)!);
                List<string> paths;
                if (FolderLock.TryAcquire(layout) is { } held)
                {
                    await using var session = FolderSession.Open(layout.Root, ConnectionOptions.Offline, needServer: false, held);
                    paths = [.. session.Sync.CurrentConflictPaths().Order(StringComparer.Ordinal)];
                }
                else
                {
                    using var doc = StatusFile.Read(layout) ?? throw new CliException(ExitCodes.Locked, "a sync is starting on this folder; try again in a moment");
                    paths = [.. doc.RootElement.GetProperty("conflicts").EnumerateArray().Select(e => e.GetString()!)];
                }

                foreach (var path in paths)
                {
                    Console.Out.WriteLine(PrintableText.Escape(string.Join("  ", [path, .. CopiesOf(layout, path)])));
                }

                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }

    private static IEnumerable<string> CopiesOf(FolderLayout layout, string notePath)
    {
        var (dir, prefix, ext) = NotePaths.ConflictPattern(notePath);
        var fullDir = dir.Length == 0 ? layout.Root : NotePaths.FullOf(layout.Root, dir);
        return Directory.Exists(fullDir)
            ? Directory.EnumerateFiles(fullDir, prefix + "*" + ext).Select(f => NotePaths.RelativeOf(layout.Root, f)!).Order(StringComparer.Ordinal)
            : [];
    }
}
