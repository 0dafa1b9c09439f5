namespace NoteSync.Cli;

/// <summary>
/// The process exit codes scripts can rely on (documented in docs/client.md, "Exit codes"). Adding one:
/// here, in <see cref="CommandRunner"/>'s mapping, and in the docs table.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>Bad arguments, an unknown folder, a note that is not in conflict.</summary>
    public const int Usage = 1;

    /// <summary>The server could not be reached (refused, timed out, or answered with a server error).</summary>
    public const int Unreachable = 2;

    /// <summary>The server refused the token (401).</summary>
    public const int AuthRefused = 3;

    /// <summary>A local file or the folder's state could not be read or written (disk full, permissions).</summary>
    public const int LocalIo = 4;

    /// <summary>Another notesync process holds the folder.</summary>
    public const int Locked = 5;

    /// <summary>The server refused the edits: the space is over a quota (<c>quota_exceeded</c>). They stay queued.</summary>
    public const int QuotaExceeded = 6;

    /// <summary>
    /// The server refused some edits for good (<c>bad_request</c>, <c>too_large</c>, HTTP 400/413): each is
    /// named on stderr with the reason, stays unsynced until its file changes, and the rest went up.
    /// </summary>
    public const int Refused = 7;

    /// <summary>
    /// No token was given for a folder that synced with a token's space on the same server; nothing was
    /// sent. Pass the token, or <c>--join-space</c> to join the space of a server with auth off.
    /// </summary>
    public const int TokenMissing = 8;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (128 + SIGTERM), after the same clean stop as Ctrl+C.</summary>
    public const int Terminated = 143;
}
