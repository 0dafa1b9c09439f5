using System.CommandLine;

namespace NoteSync.Cli.Commands;

/// <summary><c>notesync history &lt;file&gt;</c>: the versions the server keeps of a note, newest first.</summary>
internal static class HistoryCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The note file (e.g. ~/Notes/plans.md); it may be deleted." };
        return ServerCommand.Create(
            "history",
            "List the versions the server keeps of a note, newest first, one per line: when the server took it (local time), the device that wrote it, its size, 'deleted' for a delete and 'current' for what the note shows now, and its version id <timestamp>@<device> for `notesync restore --version`.",
            file,
            [],
            async (result, token, ct) =>
            {
                var target = NoteTarget.Of(result.GetValue(file)!);
                var versions = await ServerReads.RunAsync(target.Layout, token, (c, t) => c.GetHistoryAsync(target.NotePath, t), ct);
                var output = new CliOutput(verbose: false);
                if (versions.Count == 0)
                {
                    output.Notice($"the server keeps no history of {target.NotePath}");
                }

                foreach (var v in versions)
                {
                    var marks = string.Join(" ", new[] { v.IsDeleted ? "deleted" : null, v.IsHead ? "current" : null }.OfType<string>());
                    output.Result(string.Join("  ", ServerReads.Time(v.CommittedAt), v.Id.DeviceId, $"{v.Bytes:N0} bytes", marks.Length == 0 ? "-" : marks, v.Id.ToString()));
                }

                return ExitCodes.Ok;
            });
    }
}
