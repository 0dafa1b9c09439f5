namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// Another process holds the data directory's lock, so this one must not open the store: the writer
/// keeps each space's clock in memory, and a second writer on the same files would refuse pushes and
/// could write a clock behind the stored one. The server prints <see cref="Exception.Message"/> and exits
/// with <see cref="ExitCode"/>.
/// </summary>
internal sealed class DataDirectoryLockedException : Exception
{
    /// <summary>
    /// The server's exit code for it: the number the CLI gives its own locked folder, so a script reads
    /// one meaning from both.
    /// </summary>
    public const int ExitCode = 5;

    public DataDirectoryLockedException()
    {
    }

    public DataDirectoryLockedException(string message)
        : base(message)
    {
    }

    public DataDirectoryLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The refusal for <paramref name="dataDirectory"/>, in words an operator acts on.</summary>
    internal static DataDirectoryLockedException For(string dataDirectory, IOException cause) => new(
        $"another NoteSync server holds the data directory {dataDirectory} (its lock file {DataDirectoryLock.FileName} is taken); "
        + "stop that server first, or give this one its own NoteSync:DataDir",
        cause);
}
