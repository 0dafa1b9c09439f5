using NoteSync.Cli.Commands;

namespace NoteSync.Cli;

/// <summary>A note named on the command line: the synced folder it is in and its note path there.</summary>
internal sealed record NoteTarget(FolderLayout Layout, string NotePath)
{
    /// <summary>
    /// <paramref name="target"/> is a file path (it need not exist: a deleted note), taken from the current
    /// folder, or from <paramref name="folder"/> when given; the synced folder is the nearest one above it.
    /// </summary>
    public static NoteTarget Of(string target, string? folder = null)
    {
        var full = Path.GetFullPath(folder is null ? target : Path.Combine(folder, target));
        var layout = folder is not null ? FolderArgument.Existing(folder) : FolderLayout.Find(full)
            ?? throw new CliException(ExitCodes.Usage, $"{full} is not in a synced folder (no .notesync above it)");
        var notePath = NotePaths.RelativeOf(layout.Root, full) is { } relative ? NotePaths.Normalized(relative) : null;
        if (notePath is null || !NotePaths.IsNoteShaped(notePath))
        {
            throw new CliException(ExitCodes.Usage, $"{full} is not a note of {layout.Root} (a .md or .txt file inside it)");
        }

        return NotePaths.Problem(notePath) is { } problem
            ? throw new CliException(ExitCodes.Usage, $"{full} cannot be a note: {problem}")
            : new NoteTarget(layout, notePath);
    }
}
