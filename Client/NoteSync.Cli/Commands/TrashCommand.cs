using System.CommandLine;
using System.Text;

namespace NoteSync.Cli.Commands;

/// <summary><c>notesync trash [folder]</c>: the space's deleted notes, newest deletion first.</summary>
internal static class TrashCommand
{
    public static Command Create()
    {
        var folder = FolderArgument.Create(optional: true);
        return ServerCommand.Create(
            "trash",
            "List the notes deleted in the folder's space, newest deletion first, one per line: the note's path, when (local time) and by which device it was deleted, and the size of its last text (bring it back with `notesync undelete <path>`).",
            folder,
            [],
            async (result, token, ct) =>
            {
                var layout = FolderArgument.Existing(result.GetValue(folder)!);
                var notes = await ServerReads.RunAsync(layout, token, (c, t) => c.GetTrashAsync(t), ct);
                var output = new CliOutput(verbose: false);
                foreach (var n in notes)
                {
                    var last = n.Last?.Value is { } text ? $"{Encoding.UTF8.GetByteCount(text):N0} bytes" : "no text kept";
                    output.Result(string.Join("  ", n.Path, $"deleted {ServerReads.Time(n.DeletedAt)} by {n.Deletion.DeviceId}", last));
                }

                return ExitCodes.Ok;
            });
    }
}
