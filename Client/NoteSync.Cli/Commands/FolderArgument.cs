using System.CommandLine;

namespace NoteSync.Cli.Commands;

/// <summary>The <c>&lt;folder&gt;</c> argument.</summary>
internal static class FolderArgument
{
    public static Argument<string> Create(bool optional) => new("folder")
    {
        Description = optional ? "The synced folder. Default: the current folder." : "The folder of notes to sync (.md and .txt files, sub-folders included).",
        DefaultValueFactory = optional ? _ => "." : null,
    };

    /// <summary>The folder, which must have been synced before (it has a .notesync).</summary>
    public static FolderLayout Existing(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new CliException(ExitCodes.Usage, $"folder not found: {folder}");
        }

        var layout = new FolderLayout(folder);
        return layout.IsInitialized
            ? layout
            : throw new CliException(ExitCodes.Usage, $"{layout.Root} is not a synced folder (no .notesync): run `notesync sync {folder} --server <url>` first");
    }
}
