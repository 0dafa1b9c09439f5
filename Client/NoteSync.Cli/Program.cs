using System.CommandLine;
using System.Globalization;
using NoteSync.Cli.Commands;

namespace NoteSync.Cli;

/// <summary>The <c>notesync</c> tool: keeps a folder of notes in sync through a NoteSync server.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // First of all: the first Ctrl+C or SIGTERM cancels the command's token, and the command stops its
        // watcher and closes the store itself (the outbox is durable already), so the process is not cut
        // short here; Interrupts says why this comes before anything touches the console.
        using var interrupts = Interrupts.Install();

        // Counts and sizes read the same on every machine, and as scripts parse them (1,234 not 1.234).
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var root = new RootCommand("notesync keeps a folder of Markdown and text notes (.md, .txt) in sync with a NoteSync server. Exit codes: 0 ok, 1 usage, 2 server unreachable, 3 token refused (401), 4 local I/O error, 5 folder in use by another notesync, 6 the space is full (quota), 7 the server refused some writes for good (named, left unsynced), 8 no token for a folder that synced with a token's space (pass --token, or --join-space), 130 interrupted (Ctrl+C), 143 stopped by SIGTERM.");
        root.Subcommands.Add(SyncFolderCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ConflictsCommand.Create());
        root.Subcommands.Add(ResolveCommand.Create());
        root.Subcommands.Add(PullCommand.Create());
        root.Subcommands.Add(PushCommand.Create());
        root.Subcommands.Add(HistoryCommand.Create());
        root.Subcommands.Add(RestoreCommand.Create());
        root.Subcommands.Add(TrashCommand.Create());
        root.Subcommands.Add(RestoreCommand.CreateUndelete());

        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, interrupts.Token);

        // A command stopped by a signal says so as 130; SIGTERM's own code is told here, where the signal is known.
        return exit == ExitCodes.Interrupted ? interrupts.ExitCode : exit;
    }
}
