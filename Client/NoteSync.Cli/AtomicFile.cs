namespace NoteSync.Cli;

/// <summary>
/// Whole-file writes that a reader (an editor, the watcher, a crash) never sees half done: the bytes go
/// to a hidden temp file in the same folder (so the rename stays on one file system), are flushed to
/// disk (or, in a batch, the whole file system is flushed once afterwards), and the temp file is renamed
/// over the target.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The temp file's name starts with a dot, so the folder scan and the watcher ignore it.</summary>
    public static string TempPathFor(string target) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.notesync-tmp");

    /// <summary>
    /// Writes <paramref name="content"/>; false when <paramref name="beforeRename"/> said no at the last moment
    /// (nothing changed then). <paramref name="flushToDisk"/> false leaves the flush to the caller, who must
    /// flush the file system (<see cref="FileSystemSync"/>) before recording the file as written.
    /// </summary>
    public static bool Write(string target, ReadOnlySpan<byte> content, Func<bool>? beforeRename = null, bool flushToDisk = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = TempPathFor(target);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk);
            }

            if (beforeRename is not null && !beforeRename())
            {
                File.Delete(temp);
                return false;
            }

            File.Move(temp, target, overwrite: true);
            return true;
        }
        catch
        {
            TryDelete(temp);
            throw;
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
            // A temp file left behind is hidden and ignored; the original error is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
