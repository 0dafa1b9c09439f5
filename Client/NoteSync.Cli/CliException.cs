namespace NoteSync.Cli;

/// <summary>A failure with a one-line message for the user and the exit code it maps to (<see cref="ExitCodes"/>).</summary>
internal sealed class CliException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
