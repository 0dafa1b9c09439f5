using NoteSync.Client;
using NoteSync.Shared;

namespace NoteSync.Cli;

/// <summary>Runs a command's body and turns what it throws into one line on stderr and an exit code.</summary>
internal static class CommandRunner
{
    /// <summary>
    /// Runs <paramref name="body"/>; <paramref name="connection"/>, for a command that talks to the server, says
    /// whether a token was given, so a 401 however it surfaces (a status, or a waiter failed) is told alike.
    /// </summary>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken, ConnectionSettings? connection = null)
    {
        try
        {
            return await body(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("notesync: stopped; local changes not yet sent stay queued in .notesync for the next run");
            return ExitCodes.Interrupted;
        }
        catch (CliException ex)
        {
            return Fail(ex.ExitCode, ex.Message);
        }
        catch (TokenRefusedException) when (connection is not null)
        {
            return Fail(ExitCodes.AuthRefused, TokenRefusal.For(connection.Token).Message);
        }
        catch (TokenRefusedException)
        {
            return Fail(ExitCodes.AuthRefused, "the server refused the token (401): check --token or NOTESYNC_TOKEN");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(ExitCodes.LocalIo, $"local I/O error: {ex.Message}");
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            // The client's store and the file index live in .notesync: a full disk shows up here too.
            return Fail(ExitCodes.LocalIo, $"local state error in .notesync: {ex.Message}");
        }
    }

    public static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"notesync: {PrintableText.Escape(message)}");
        return exitCode;
    }
}
