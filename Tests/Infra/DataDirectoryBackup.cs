namespace NoteSync.Tests.Infra;

/// <summary>
/// A copy of a stopped server's data directory, put back later: the restore from last night's backup that
/// docs/operations.md describes (stop the server, copy the folder back, renew the epoch, start).
/// </summary>
internal sealed class DataDirectoryBackup : IDisposable
{
    private readonly TempDirectory _copy = new();

    private DataDirectoryBackup()
    {
    }

    /// <summary>Copies every file of <paramref name="dataDir"/> (the server must be stopped).</summary>
    public static DataDirectoryBackup Take(string dataDir)
    {
        var backup = new DataDirectoryBackup();
        Copy(dataDir, backup._copy.Path);
        return backup;
    }

    /// <summary>Empties <paramref name="dataDir"/> and puts the copy back (the server must be stopped).</summary>
    public void RestoreInto(string dataDir)
    {
        foreach (var entry in Directory.GetFileSystemEntries(dataDir))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        Copy(_copy.Path, dataDir);
    }

    private static void Copy(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
        }
    }

    public void Dispose() => _copy.Dispose();
}
