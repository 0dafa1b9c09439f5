using System.CommandLine;

namespace NoteSync.Cli.Commands;

/// <summary>The commands that ask the server for a folder, each with the <c>--token</c> option of <see cref="ServerReads.TokenOption"/>.</summary>
internal static class ServerCommand
{
    /// <summary>
    /// The command <paramref name="name"/>: <paramref name="argument"/>, then <paramref name="options"/>, then <c>--token</c>,
    /// in that order in its help. <paramref name="run"/> gets the parse result and the token, and runs under <see cref="CommandRunner"/>.
    /// </summary>
    public static Command Create(string name, string description, Argument argument, Option[] options, Func<ParseResult, string?, CancellationToken, Task<int>> run)
    {
        var token = ServerReads.TokenOption();
        var command = new Command(name, description);
        command.Arguments.Add(argument);
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.Options.Add(token);
        command.SetAction((result, cancellationToken) => CommandRunner.RunAsync(ct => run(result, result.GetValue(token), ct), cancellationToken));
        return command;
    }
}
