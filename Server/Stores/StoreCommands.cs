using Microsoft.Data.Sqlite;
using NoteSync.Server.Stores.Sqlite;
using StackExchange.Redis;

namespace NoteSync.Server.Stores;

/// <summary>
/// What the operator's store commands (<see cref="DataDirectoryCommands"/>, <see cref="RefusedKeysCommand"/>,
/// <see cref="CompactCommand"/>) say alike: one line on standard error for each failure, and one exit
/// code for each kind (2 bad arguments, 1 a failure, 5 a data directory a running server holds).
/// </summary>
internal static class StoreCommands
{
    /// <summary>The line for a data directory that holds no database.</summary>
    public static string NoDatabase(string command, string database) =>
        $"{command}: there is no database at {database}; set NoteSync:DataDir to the server's data directory";

    /// <summary>
    /// Runs <paramref name="body"/>, turning a locked data directory and a store's or the file
    /// system's failure into their line (with <paramref name="afterFailure"/> when given) and exit code.
    /// </summary>
    public static async Task<int> RunAsync(string command, TextWriter error, Func<Task<int>> body, string? afterFailure = null)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (DataDirectoryLockedException ex)
        {
            error.WriteLine($"{command}: {ex.Message}");
            return DataDirectoryLockedException.ExitCode;
        }
        catch (Exception ex) when (ex is SqliteException or RedisException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine(afterFailure is null ? $"{command}: {ex.Message}" : $"{command}: {ex.Message}; {afterFailure}");
            return 1;
        }
    }
}
