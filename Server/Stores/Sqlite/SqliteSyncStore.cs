using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The embedded store: one SQLite database in WAL mode under the data directory. Every write goes
/// through a single writer loop that commits whole groups of pushes at once (one fsync per group);
/// reads run on their own pooled connections beside it. Thread-safe. Only one store (and one process)
/// may use a data directory at a time, since the writer keeps each space's clock in memory: the store
/// holds <see cref="DataDirectoryLock"/> from its first file operation until it is disposed.
/// </summary>
internal sealed partial class SqliteSyncStore : ISyncStore
{
    /// <summary>The most pushes one group commit takes; more wait for the next group.</summary>
    internal const int MaxGroupSize = 256;

    // Far more than a group, so a burst waits here rather than at the callers; past it ApplyAsync waits for room.
    private const int QueueCapacity = 16 * MaxGroupSize;

    private readonly ILogger _logger;
    private readonly long _maxClockLead;
    private readonly NoteLimits _noteLimits;
    private readonly SpaceQuotas _quotas;
    private readonly string _dataDirectory;
    private readonly DataDirectoryLock _directoryLock;
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writeConnection;
    private readonly Channel<ApplyRequest> _requests;
    private readonly Task _writerTask;
    private int _disposed;

    /// <summary>
    /// Opens (creating when missing) the store in <paramref name="dataDirectory"/>, in the file
    /// <c>notesync.db</c>. Blocks briefly for the file and schema work, so call it at startup. Throws
    /// <see cref="DataDirectoryLockedException"/> when another store, in this process or another, has the directory.
    /// </summary>
    /// <param name="dataDirectory">The data directory.</param>
    /// <param name="logger">The store's logger.</param>
    /// <param name="clockLimits">How far a change's timestamp may lead the space's clock; <see cref="ClockLimits.Default"/> when null.</param>
    /// <param name="noteLimits">How much a note may hold at its top timestamp; <see cref="NoteLimits.Default"/> when null.</param>
    /// <param name="quotas">How much a space may hold; <see cref="SpaceQuotas.Default"/> when null.</param>
    /// <param name="history">How much history to keep; <see cref="HistoryLimits.Default"/> when null.</param>
    /// <param name="time">The wall clock that stamps versions and ages them; the system's when null.</param>
    /// <param name="mergesConcurrentEdits">Whether to write the automatic merge inside the edit's commit (<see cref="ISyncStore.MergesConcurrentEdits"/>).</param>
    public SqliteSyncStore(
        string dataDirectory,
        ILogger logger,
        ClockLimits? clockLimits = null,
        NoteLimits? noteLimits = null,
        SpaceQuotas? quotas = null,
        HistoryLimits? history = null,
        TimeProvider? time = null,
        bool mergesConcurrentEdits = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _maxClockLead = (clockLimits ?? ClockLimits.Default).MaxLead;
        _noteLimits = noteLimits ?? NoteLimits.Default;
        _quotas = quotas ?? SpaceQuotas.Default;
        _history = history ?? HistoryLimits.Default;
        _time = time ?? TimeProvider.System;
        MergesConcurrentEdits = mergesConcurrentEdits;

        Directory.CreateDirectory(dataDirectory);

        // Before the database is touched: a second process must not even run the schema check or
        // switch the journal mode under the first.
        _dataDirectory = Path.GetFullPath(dataDirectory);
        _directoryLock = DataDirectoryLock.Acquire(_dataDirectory);
        DatabasePath = Path.GetFullPath(Path.Combine(dataDirectory, SqliteSchema.FileName));

        // The writer's connection is private and long-lived, so it bypasses the pool and really closes on dispose.
        var writeConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
        }.ToString();

        _writeConnection = new SqliteConnection(writeConnectionString);
        try
        {
            _writeConnection.Open();

            // Before WAL mode, which writes the first page of a new database; ignored by an existing one.
            SqliteSchema.ScalarString(_writeConnection, $"PRAGMA page_size = {SqliteSchema.PageSize}");
            var journalMode = SqliteSchema.ScalarString(_writeConnection, "PRAGMA journal_mode = WAL");
            if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"SQLite refused WAL mode for {DatabasePath} (journal_mode is '{journalMode}'); put the data directory on a local file system");
            }

            // FULL: the WAL is synced at every commit, so a push is on disk before its ack leaves.
            SqliteSchema.ScalarString(_writeConnection, "PRAGMA synchronous = FULL");
            Synchronous = SqliteSchema.ScalarInt64(_writeConnection, "PRAGMA synchronous");
            SqliteSchema.ScalarString(_writeConnection, "PRAGMA busy_timeout = 5000");
            SqliteSchema.Ensure(_writeConnection, _logger);
            Epoch = SqliteEpoch.Load(_writeConnection, out var renewed);
            if (renewed)
            {
                Log.EpochRenewed(_logger, DatabasePath, Epoch);
            }

            _writer = new WriterStatements(_writeConnection);
            _historyWriter = new HistoryStatements(_writeConnection);

            // Commit times go on from the latest one in history (CommitGroup).
            _groupCommittedAt = _historyWriter.LatestCommittedAt;
        }
        catch
        {
            _writeConnection.Dispose();
            _directoryLock.Dispose();
            throw;
        }

        _requests = Channel.CreateBounded<ApplyRequest>(new BoundedChannelOptions(QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writerTask = Task.Run(RunWriterAsync);
        Log.Opened(_logger, DatabasePath);
    }

    /// <summary>The database's epoch: the name of its history, the same for every space, fixed while the store is open.</summary>
    internal string Epoch { get; } = "";

    /// <summary>The database file's full path.</summary>
    internal string DatabasePath { get; }

    /// <inheritdoc />
    public bool MergesConcurrentEdits { get; }

    /// <summary>The writer connection's <c>PRAGMA synchronous</c> as SQLite reports it (2 = FULL).</summary>
    internal long Synchronous { get; }

    /// <summary>How many group commits the writer has made; lets tests see that pushes were grouped.</summary>
    internal long CommittedGroups => Interlocked.Read(ref _committedGroups);

    /// <summary>How many pushes wait for the writer, not yet taken into a group.</summary>
    internal int QueuedRequests => _requests.Reader.Count;

    /// <inheritdoc />
    public async Task<ApplyResult> ApplyAsync(string space, IReadOnlyList<KeyedWrite> writes, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckApply(space, writes);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();

        // A copy: the writer reads it later, on its own thread.
        var copy = writes.ToArray();

        var request = new ApplyRequest(space, copy, cancellationToken);
        using var registration = cancellationToken.UnsafeRegister(static state => ((ApplyRequest)state!).TryCancel(), request);
        try
        {
            await _requests.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(SqliteSyncStore));
        }

        return await request.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ChangePage> ReadSinceAsync(string space, long afterSeq, int maxChanges, long maxBytes, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckReadSince(space, afterSeq, maxChanges, maxBytes);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);

        // One read transaction: the clock and the rows come from the same snapshot, so a page
        // without "more" never claims a cursor past rows it did not return. Deferred, because the
        // provider's default (IMMEDIATE) would take the write lock and queue readers behind the writer.
        await using var transaction = connection.BeginTransaction(deferred: true);
        var clock = await ReadClockAsync(connection, transaction, space, cancellationToken).ConfigureAwait(false);

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SqliteSchema.ReadSinceSql;
        command.Parameters.AddWithValue("$space", space);
        command.Parameters.AddWithValue("$after", afterSeq);
        // One row past the page tells whether more remain.
        command.Parameters.AddWithValue("$limit", (long)maxChanges + 1);

        var (entries, more) = ReadPage(command, maxChanges, maxBytes);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ChangePage(entries, more ? entries[^1].Seq : clock, more) { Epoch = Epoch };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> ListSpacesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT space FROM spaces ORDER BY space";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reader.GetString(0);
        }
    }

    /// <inheritdoc />
    public async Task<long> GetCursorAsync(string space, CancellationToken cancellationToken = default)
    {
        StoreArguments.CheckSpace(space);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadClockAsync(connection, transaction: null, space, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<StoreHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0 || _writerTask.IsCompleted)
        {
            return StoreHealth.NotAnswering;
        }

        if (_diskFull.IsFull)
        {
            // Reads still work, but a node that cannot take a push should leave the load balancer.
            return new StoreHealth(StoreHealth.DiskFull, "the disk is full: the store cannot write to its data directory, so pushes get 'unavailable' until space is freed; reads go on");
        }

        try
        {
            await using var connection = await OpenReadConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM spaces WHERE 0";
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return StoreHealth.Healthy;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.HealthCheckFailed(_logger, ex);
            return StoreHealth.NotAnswering;
        }
    }

    /// <summary>
    /// Stops taking pushes, lets the writer finish every push already queued, then closes the
    /// database. Later <see cref="ApplyAsync"/> calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _writerTask.ConfigureAwait(false);
            return;
        }

        _requests.Writer.TryComplete();
        await _writerTask.ConfigureAwait(false);
        _writer.Dispose();
        _historyWriter.Dispose();
        await _writeConnection.DisposeAsync().ConfigureAwait(false);
        using (var pooled = new SqliteConnection(_readConnectionString))
        {
            // Pooled readers would otherwise keep the file open after the store is gone.
            SqliteConnection.ClearPool(pooled);
        }

        // Last: the next store may open the files as soon as this lets go.
        _directoryLock.Dispose();
        Log.Closed(_logger, DatabasePath);
    }

    private const string ReadConnectionPragmas = "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -16384;";

    private async Task<SqliteConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Read through a memory map: a catch-up of thousands of rows would otherwise be thousands
            // of read() calls, since the default page cache (2 MB) is smaller than a busy space.
            // Per connection, and cheap, so set on every open (pooled connections keep it anyway).
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = ReadConnectionPragmas;
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<long> ReadClockAsync(SqliteConnection connection, SqliteTransaction? transaction, string space, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT clock FROM spaces WHERE space = $space";
        command.Parameters.AddWithValue("$space", space);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long clock ? clock : 0;
    }

    // Columns: key, seq, timestamp, device_id, value, others, replaced (SqliteSchema.ReadSinceSql).
    // Fully optimized on first use: a catch-up runs this loop over thousands of rows, often on a
    // server that has not run it often enough for tiered compilation to optimize it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (List<StoredEntry> Entries, bool More) ReadPage(SqliteCommand command, int maxChanges, long maxBytes)
    {
        var entries = new List<StoredEntry>();
        var bytes = 0L;

        // Synchronous row reads: Microsoft.Data.Sqlite's async reads complete synchronously anyway,
        // and their per-row task plumbing doubled the cost of a 10,000-note catch-up.
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (entries.Count == maxChanges)
            {
                return (entries, true);
            }

            var entry = ReadEntry(reader);
            var size = entry.EstimatedWireBytes;
            if (entries.Count > 0 && bytes + size > maxBytes)
            {
                return (entries, true);
            }

            bytes += size;
            entries.Add(entry);
        }

        return (entries, false);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static StoredEntry ReadEntry(SqliteDataReader reader)
    {
        return new StoredEntry(reader.GetString(0), reader.GetInt64(1), WriteSetCodec.Read(reader, 2));
    }
}
