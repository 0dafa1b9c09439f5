using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// <c>compact</c>: rewrites the embedded store's database with <see cref="SqliteSchema.PageSize"/> pages,
/// leaving out its free pages. A database created before 8 KiB pages keeps the 4 KiB it was made with,
/// at about twice the size for long keys (docs/benchmarks.md, Storage), and SQLite changes a page size
/// only by copying the whole file. The copy is made beside the database (<c>VACUUM INTO</c>) and put in
/// its place by a rename once complete, so a stop or a full disk at any moment leaves the database as it
/// was. The history is the same, so its epoch is kept and devices notice nothing. The server must be
/// stopped (the command takes the data directory's lock). Exit codes as <see cref="DataDirectoryCommands"/>.
/// </summary>
internal static class CompactCommand
{
    public const string Name = "compact";

    /// <summary>The copy being written, beside the database; one left by an interrupted run is replaced.</summary>
    public const string CopyFileName = SqliteSchema.FileName + ".compacting";

    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is { } stray)
        {
            error.WriteLine($"{Name}: unexpected argument '{Shared.PrintableText.Escape(stray)}'; usage: {Name} (takes NoteSync:DataDir from the configuration)");
            return 2;
        }

        var dataDirectory = Path.GetFullPath(DataDirectoryCommands.Settings(args).DataDir);
        var database = Path.Combine(dataDirectory, SqliteSchema.FileName);
        if (!File.Exists(database))
        {
            error.WriteLine(StoreCommands.NoDatabase(Name, database));
            return 1;
        }

        var copy = Path.Combine(dataDirectory, CopyFileName);
        return await StoreCommands.RunAsync(Name, error, async () =>
        {
            using var directoryLock = DataDirectoryLock.Acquire(dataDirectory);
            try
            {
                var (pageSizeBefore, bytesBefore) = await CopyAsync(database, copy, error).ConfigureAwait(false);

                // The source was checkpointed and closed, so its -wal and -shm hold nothing the copy lacks;
                // left beside the copy, SQLite would try to apply them to it.
                File.Delete(database + "-wal");
                File.Delete(database + "-shm");
                File.Move(copy, database, overwrite: true);
                output.WriteLine($"{Name}: {database} now has {SqliteSchema.PageSize / 1024} KiB pages and {new FileInfo(database).Length:N0} bytes (was {pageSizeBefore / 1024} KiB pages, {bytesBefore:N0} bytes with its WAL); its epoch is kept, so devices notice nothing");
                return 0;
            }
            finally
            {
                // Gone once moved into place; a copy a failure left behind is only in the way. Only
                // the holder of the lock touches it: another run may be writing one.
                TryDelete(copy);
            }
        }, afterFailure: "the database was left as it was").ConfigureAwait(false);
    }

    /// <summary>Writes the compacted copy, telling its progress on <paramref name="error"/>; returns the source's page size and bytes.</summary>
    private static async Task<(long PageSize, long Bytes)> CopyAsync(string database, string copy, TextWriter error)
    {
        TryDelete(copy);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();

        // Everything into the main file first, so the copy and the size it is measured against are whole.
        SqliteSchema.ScalarString(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        var pageSize = SqliteSchema.ScalarInt64(connection, "PRAGMA page_size");
        var bytes = new FileInfo(database).Length;
        error.WriteLine($"{Name}: copying {database} ({bytes:N0} bytes, {pageSize / 1024} KiB pages) to {SqliteSchema.PageSize / 1024} KiB pages");

        using var done = new CancellationTokenSource();
        var progress = ReportAsync(copy, bytes, error, done.Token);
        try
        {
            // VACUUM INTO writes the copy with the page size set here, even from a WAL database.
            SqliteSchema.ScalarString(connection, $"PRAGMA page_size = {SqliteSchema.PageSize}");
            using var vacuum = connection.CreateCommand();
            vacuum.CommandText = "VACUUM INTO $copy";
            vacuum.Parameters.AddWithValue("$copy", copy);
            vacuum.CommandTimeout = 0;
            vacuum.ExecuteNonQuery();
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await progress.ConfigureAwait(false);
        }

        return (pageSize, bytes);
    }

    private static async Task ReportAsync(string copy, long total, TextWriter error, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                await Task.Delay(ProgressEvery, cancellationToken).ConfigureAwait(false);
                var written = File.Exists(copy) ? new FileInfo(copy).Length : 0;

                // Against the source's size: the copy ends smaller (no free pages), so this is a bound, not a forecast.
                error.WriteLine($"{Name}: {written:N0} of at most {total:N0} bytes written ({Math.Min(100, written * 100 / Math.Max(1, total))}%), {started.Elapsed.TotalSeconds:F0} s");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next run, which replaces it.
        }
    }
}
