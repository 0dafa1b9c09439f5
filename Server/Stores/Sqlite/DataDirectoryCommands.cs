using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Options;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The operator's commands on the embedded store, for the backup and restore procedure
/// (docs/operations.md). Both read <c>NoteSync:DataDir</c> as the server does (appsettings.json beside
/// the binary, environment variables, <c>--NoteSync:DataDir=...</c>). Errors are one line on standard
/// error: exit code 2 for bad arguments, 1 for a failure, 5 when a running server holds the directory.
/// <list type="bullet">
/// <item><c>backup &lt;folder&gt;</c>: a consistent copy of the database into a new or empty folder, while
/// the server runs. The copy is marked, so a server later started on it (after a restore) gives its
/// history a new epoch by itself, and every device re-reads and re-uploads what the copy lacks.</item>
/// <item><c>renew-epoch</c>: gives the database in <c>NoteSync:DataDir</c> a new epoch now; for a copy
/// put back that <c>backup</c> did not make. The server must be stopped.</item>
/// </list>
/// </summary>
internal static class DataDirectoryCommands
{
    public const string Backup = "backup";
    public const string RenewEpoch = "renew-epoch";

    public static Task<int> RunAsync(string command, string[] args, TextWriter output, TextWriter error)
    {
        var dataDirectory = Path.GetFullPath(DataDirectory(args));
        var rest = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        return StoreCommands.RunAsync(command, error, () => Task.FromResult(
            command == Backup ? RunBackup(dataDirectory, rest, output, error) : RunRenewEpoch(dataDirectory, rest, output, error)));
    }

    private static int RunBackup(string dataDirectory, string[] args, TextWriter output, TextWriter error)
    {
        if (args is not [var target])
        {
            error.WriteLine("backup: usage: backup <folder> (a new or empty folder)");
            return 2;
        }

        var source = Path.Combine(dataDirectory, SqliteSchema.FileName);
        if (!File.Exists(source))
        {
            error.WriteLine(StoreCommands.NoDatabase(Backup, source));
            return 1;
        }

        target = Path.GetFullPath(target);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            error.WriteLine($"backup: {target} is not empty; give a new or empty folder");
            return 2;
        }

        Directory.CreateDirectory(target);
        var copy = Path.Combine(target, SqliteSchema.FileName);

        // VACUUM INTO reads one snapshot of the database beside a running server (WAL readers do not
        // block its writer) and writes a compact copy with the WAL folded in.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = source, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        {
            connection.Open();
            using var vacuum = connection.CreateCommand();
            vacuum.CommandText = "VACUUM INTO $target";
            vacuum.Parameters.AddWithValue("$target", copy);
            vacuum.ExecuteNonQuery();
        }

        using (var connection = OpenReadWrite(copy))
        {
            SqliteSchema.Ensure(connection, NullLogger.Instance);
            SqliteEpoch.MarkForRenewal(connection);
        }

        output.WriteLine($"backup: wrote {copy} ({new FileInfo(copy).Length:N0} bytes). To restore: stop the server, replace {source} with it (and delete {SqliteSchema.FileName}-wal and -shm beside it), start the server.");
        return 0;
    }

    private static int RunRenewEpoch(string dataDirectory, string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length != 0)
        {
            error.WriteLine("renew-epoch: usage: renew-epoch (takes NoteSync:DataDir from the configuration)");
            return 2;
        }

        var database = Path.Combine(dataDirectory, SqliteSchema.FileName);
        if (!File.Exists(database))
        {
            error.WriteLine(StoreCommands.NoDatabase(RenewEpoch, database));
            return 1;
        }

        // The lock keeps a running server's history from being renamed under it.
        using var directoryLock = DataDirectoryLock.Acquire(dataDirectory);
        using var connection = OpenReadWrite(database);
        SqliteSchema.Ensure(connection, NullLogger.Instance);
        var epoch = SqliteEpoch.Renew(connection);
        output.WriteLine($"renew-epoch: the database at {database} is now epoch {epoch}; devices that synced with it before will re-read every space and re-upload what it lacks");
        return 0;
    }

    private static SqliteConnection OpenReadWrite(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static string DataDirectory(string[] args) => Settings(args).DataDir;

    /// <summary>The <c>NoteSync</c> settings as the server would read them with <paramref name="args"/>.</summary>
    internal static NoteSyncOptions Settings(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var options = builder.Configuration.GetSection(NoteSyncOptions.Section).Get<NoteSyncOptions>() ?? new NoteSyncOptions();
        NoteSyncServiceExtensions.ReadRedisConnectionString(options, builder.Configuration);
        return options;
    }
}
