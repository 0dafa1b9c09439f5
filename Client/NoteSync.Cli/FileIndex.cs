using Microsoft.Data.Sqlite;

namespace NoteSync.Cli;

/// <summary>
/// <c>.notesync/index.db</c>: per note file, the SHA-256 of the content last known to match the replica,
/// with the size and mtime seen then (so a full scan reads only files whose size or mtime moved).
/// A file whose hash differs from its entry was edited locally; one equal to it is unchanged and
/// follows the replica. Layout: <c>files(path TEXT PRIMARY KEY, hash TEXT, size INTEGER, mtime INTEGER, base TEXT)</c>
/// (base: <see cref="IndexEntry.Base"/>),
/// <c>kept(path TEXT PRIMARY KEY)</c>, the notes with kept copies (<see cref="KeptPaths"/>), and
/// <c>copies(path TEXT PRIMARY KEY, note TEXT, device TEXT)</c>, the conflict copies this folder made
/// (<see cref="CopyAt"/>): only those are ever deleted, so a file merely named like one is a note. Tables
/// and columns are only ever added.
/// <para>
/// Losing the newest entries (a crash; the file runs with synchronous=NORMAL) is harmless: a file then
/// looks edited, and when its content equals the replica's the entry is just written again, nothing is pushed.
/// </para>
/// Not thread-safe: <see cref="FolderSync"/> uses it from one loop.
/// </summary>
internal sealed class FileIndex : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, IndexEntry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _kept = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConflictCopy> _copies = new(StringComparer.Ordinal);
    private SqliteTransaction? _batch;

    public FileIndex(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode = WAL");
        Execute("PRAGMA synchronous = NORMAL");
        Execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, hash TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL)");
        Execute("CREATE TABLE IF NOT EXISTS kept (path TEXT PRIMARY KEY)");
        using (var columns = _connection.CreateCommand())
        {
            columns.CommandText = "SELECT count(*) FROM pragma_table_info('files') WHERE name = 'base'";
            if ((long)columns.ExecuteScalar()! == 0)
            {
                Execute("ALTER TABLE files ADD COLUMN base TEXT");
            }
        }

        using (var exists = _connection.CreateCommand())
        {
            exists.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'copies'";
            CopiesAreNew = (long)exists.ExecuteScalar()! == 0;
        }

        Execute("CREATE TABLE IF NOT EXISTS copies (path TEXT PRIMARY KEY, note TEXT NOT NULL, device TEXT NOT NULL)");
        using (var copies = _connection.CreateCommand())
        {
            copies.CommandText = "SELECT path, note, device FROM copies";
            using var copiesReader = copies.ExecuteReader();
            while (copiesReader.Read())
            {
                _copies[copiesReader.GetString(0)] = new ConflictCopy(copiesReader.GetString(0), copiesReader.GetString(1), copiesReader.GetString(2));
            }
        }

        using (var kept = _connection.CreateCommand())
        {
            kept.CommandText = "SELECT path FROM kept";
            using var keptReader = kept.ExecuteReader();
            while (keptReader.Read())
            {
                _kept.Add(keptReader.GetString(0));
            }
        }

        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT path, hash, size, mtime, base FROM files";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            _entries[reader.GetString(0)] = new IndexEntry(reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), IndexEntry.Decode(reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
    }

    public IReadOnlyCollection<string> Paths => _entries.Keys;

    public IndexEntry? Get(string path) => _entries.GetValueOrDefault(path);

    public void Set(string path, IndexEntry entry)
    {
        _entries[path] = entry;
        using var command = _connection.CreateCommand();
        command.Transaction = _batch;
        command.CommandText = "INSERT INTO files (path, hash, size, mtime, base) VALUES ($p, $h, $s, $m, $b) ON CONFLICT(path) DO UPDATE SET hash = excluded.hash, size = excluded.size, mtime = excluded.mtime, base = excluded.base";
        command.Parameters.AddWithValue("$p", path);
        command.Parameters.AddWithValue("$h", entry.Hash);
        command.Parameters.AddWithValue("$s", entry.Size);
        command.Parameters.AddWithValue("$m", entry.MtimeTicks);
        command.Parameters.AddWithValue("$b", (object?)IndexEntry.Encode(entry.Base) ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public void Remove(string path)
    {
        if (!_entries.Remove(path))
        {
            return;
        }

        using var command = _connection.CreateCommand();
        command.Transaction = _batch;
        command.CommandText = "DELETE FROM files WHERE path = $p";
        command.Parameters.AddWithValue("$p", path);
        command.ExecuteNonQuery();
    }

    /// <summary>Notes with kept copies: a concurrent edit that LWW dropped, kept beside the note until resolved.</summary>
    public IReadOnlyCollection<string> KeptPaths => _kept;

    public void SetKept(string path, bool kept)
    {
        if (kept ? !_kept.Add(path) : !_kept.Remove(path))
        {
            return;
        }

        using var command = _connection.CreateCommand();
        command.Transaction = _batch;
        command.CommandText = kept ? "INSERT OR IGNORE INTO kept (path) VALUES ($p)" : "DELETE FROM kept WHERE path = $p";
        command.Parameters.AddWithValue("$p", path);
        command.ExecuteNonQuery();
    }

    /// <summary>True when this open added the <c>copies</c> table: an index written before copies were recorded.</summary>
    public bool CopiesAreNew { get; }

    /// <summary>The conflict copy this folder made at <paramref name="path"/>, or null when it made none there.</summary>
    public ConflictCopy? CopyAt(string path) => _copies.GetValueOrDefault(path);

    /// <summary>The conflict copies this folder made of <paramref name="note"/>.</summary>
    public IReadOnlyList<ConflictCopy> CopiesOf(string note) => [.. _copies.Values.Where(c => c.Note == note).OrderBy(c => c.Path, StringComparer.Ordinal)];

    /// <summary>The notes this folder holds conflict copies of.</summary>
    public IReadOnlySet<string> NotesWithCopies => _copies.Values.Select(c => c.Note).ToHashSet(StringComparer.Ordinal);

    public void AddCopy(ConflictCopy copy)
    {
        _copies[copy.Path] = copy;
        using var command = _connection.CreateCommand();
        command.Transaction = _batch;
        command.CommandText = "INSERT INTO copies (path, note, device) VALUES ($p, $n, $d) ON CONFLICT(path) DO UPDATE SET note = excluded.note, device = excluded.device";
        command.Parameters.AddWithValue("$p", copy.Path);
        command.Parameters.AddWithValue("$n", copy.Note);
        command.Parameters.AddWithValue("$d", copy.Device);
        command.ExecuteNonQuery();
    }

    public void RemoveCopy(string path)
    {
        if (!_copies.Remove(path))
        {
            return;
        }

        using var command = _connection.CreateCommand();
        command.Transaction = _batch;
        command.CommandText = "DELETE FROM copies WHERE path = $p";
        command.Parameters.AddWithValue("$p", path);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Forgets every file, kept conflict and copy: the folder meets a space it never synced with, so
    /// nothing recorded says what that space holds, and every file is judged afresh (copies included,
    /// which become notes there: no version is dropped).
    /// </summary>
    public void ForgetAll()
    {
        CommitBatch();
        Execute("DELETE FROM files; DELETE FROM kept; DELETE FROM copies");
        _entries.Clear();
        _kept.Clear();
        _copies.Clear();
    }

    /// <summary>Groups the following changes into one transaction until <see cref="CommitBatch"/>: thousands of files, one commit.</summary>
    public void BeginBatch() => _batch ??= _connection.BeginTransaction();

    public void CommitBatch()
    {
        _batch?.Commit();
        _batch?.Dispose();
        _batch = null;
    }

    /// <summary>Drops the batch's changes: the files they describe were not made durable.</summary>
    public void RollbackBatch()
    {
        _batch?.Rollback();
        _batch?.Dispose();
        _batch = null;
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        CommitBatch();
        _connection.Dispose();
    }
}
