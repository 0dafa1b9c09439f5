namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The data directory's exclusive lock: <c>notesync.lock</c> in it, opened with no sharing, which on
/// Linux and macOS is an <c>flock</c> the kernel drops when the process dies (even by <c>kill -9</c>),
/// so a crash never leaves a stale lock and a restart needs no clean-up. The file itself stays: deleting
/// it while a server runs would let a second one lock a new file beside the first.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    /// <summary>The lock file inside the data directory.</summary>
    public const string FileName = "notesync.lock";

    private readonly FileStream _stream;

    private DataDirectoryLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, or throws <see cref="DataDirectoryLockedException"/> when another process holds it.</summary>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            return new DataDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw DataDirectoryLockedException.For(dataDirectory, ex);
        }
    }

    public void Dispose() => _stream.Dispose();
}
