namespace NoteSync.Server.Stores.Sqlite;

internal sealed partial class SqliteSyncStore
{
    // Event ids 200-219 belong to the SQLite store (200-299 are the stores'). Names are public once
    // shipped. Never log note contents: keys, spaces, counts and timings only.
    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "SQLite store opened at {Path}", EventName = "SqliteStoreOpened")]
        public static partial void Opened(ILogger logger, string path);

        [LoggerMessage(201, LogLevel.Debug, "Group commit of {Requests} pushes with {Changes} changes took {ElapsedMs:0.0} ms", EventName = "SqliteGroupCommitted")]
        public static partial void GroupCommitted(ILogger logger, int requests, int changes, double elapsedMs);

        [LoggerMessage(202, LogLevel.Error, "A push of {Writes} writes to space {Space} failed and was rolled back", EventName = "SqliteApplyFailed")]
        public static partial void ApplyFailed(ILogger logger, string space, int writes, Exception exception);

        [LoggerMessage(203, LogLevel.Error, "A group commit of {Requests} pushes failed; none of them was applied", EventName = "SqliteGroupFailed")]
        public static partial void GroupFailed(ILogger logger, int requests, Exception exception);

        [LoggerMessage(204, LogLevel.Warning, "SQLite store health check failed", EventName = "SqliteHealthCheckFailed")]
        public static partial void HealthCheckFailed(ILogger logger, Exception exception);

        [LoggerMessage(205, LogLevel.Debug, "SQLite writer stopped", EventName = "SqliteWriterStopped")]
        public static partial void WriterStopped(ILogger logger);

        [LoggerMessage(206, LogLevel.Information, "SQLite store closed at {Path}", EventName = "SqliteStoreClosed")]
        public static partial void Closed(ILogger logger, string path);

        [LoggerMessage(207, LogLevel.Warning, "The database at {Path} is a restored backup: its history is now epoch {Epoch}, and devices that synced with it before re-read every space and re-upload what it lacks", EventName = "SqliteEpochRenewed")]
        public static partial void EpochRenewed(ILogger logger, string path, string epoch);
    }
}
