namespace NoteSync.Cli;

/// <summary>The connection options of a command, as given (null when not given).</summary>
internal sealed record ConnectionSettings(
    string? Server,
    string? Device,
    string? Token,
    bool Poll,
    int IntervalMs,
    string HubPath,
    int MaxRetryMs,
    int MaxNoteBytes,
    bool Verbose,
    bool JoinSpace = false);
