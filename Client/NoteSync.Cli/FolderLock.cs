namespace NoteSync.Cli;

/// <summary>
/// The folder's exclusive lock: <c>.notesync/lock</c> opened with no sharing, which on Linux and macOS is
/// an <c>flock</c> the kernel drops when the process dies (even by <c>kill -9</c>), so a crash never
/// leaves a stale lock. Two processes on one data directory would corrupt each other's view of the outbox.
/// </summary>
internal sealed class FolderLock : IDisposable
{
    private readonly FileStream _stream;

    private FolderLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock, or throws a <see cref="CliException"/> with <see cref="ExitCodes.Locked"/>.</summary>
    public static FolderLock Acquire(FolderLayout layout)
    {
        Directory.CreateDirectory(layout.StateDir);
        if (TryAcquire(layout) is { } held)
        {
            return held;
        }

        throw new CliException(ExitCodes.Locked, $"another notesync process is using {layout.Root} (stop it first, or use `notesync status`/`conflicts`/`resolve`, which work beside a running sync)");
    }

    /// <summary>Takes the lock, or returns null when another process holds it.</summary>
    public static FolderLock? TryAcquire(FolderLayout layout)
    {
        Directory.CreateDirectory(layout.StateDir);
        try
        {
            return new FolderLock(new FileStream(layout.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException) when (File.Exists(layout.LockPath))
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}
