using System.Security.Cryptography;
using System.Text;

namespace NoteSync.Cli;

/// <summary>
/// The note files of one folder on disk: listing, reading (strict UTF-8, bounded size, stat-trusting
/// during a scan), and the atomic write of a note or a copy, which tells a full disk (the command stops)
/// from a failure of one note (that note is skipped).
/// </summary>
internal sealed class NoteFiles(FolderLayout layout, int maxNoteBytes)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // A file written unflushed during a scan, made durable before the index records it (FlushDeferred).
    private string? _unflushedFile;

    /// <summary>While true (a scan's batch), files are written without a flush each; <see cref="FlushDeferred"/> makes them durable at once.</summary>
    public bool DeferFlush { get; set; }

    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Hash(string text) => Hash(Encoding.UTF8.GetBytes(text));

    /// <summary>Every file under the folder outside hidden folders, as relative paths with <c>/</c>.</summary>
    public IEnumerable<string> Enumerate()
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System };
        foreach (var file in Directory.EnumerateFiles(layout.Root, "*", options))
        {
            if (NotePaths.RelativeOf(layout.Root, file) is { } relative)
            {
                yield return relative;
            }
        }
    }

    /// <summary>
    /// The file as it is now, or null when there is none. With <paramref name="trustStat"/>, a file whose
    /// size and mtime are the index's is taken as the index has it, unread (its <c>Text</c> null).
    /// </summary>
    public LocalFile? Read(string full, IndexEntry? entry, bool trustStat)
    {
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            return null;
        }

        if (trustStat && entry is not null && info.Length == entry.Size && info.LastWriteTimeUtc.Ticks == entry.MtimeTicks)
        {
            return new LocalFile(entry.Hash, null, entry, null);
        }

        if (info.Length > maxNoteBytes)
        {
            return new LocalFile("", null, entry!, $"{info.Length:N0} bytes is over --max-note-bytes ({maxNoteBytes:N0})");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            return new LocalFile("", null, entry!, ex.Message);
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return new LocalFile("", null, entry!, "not UTF-8 text");
        }

        return new LocalFile(Hash(bytes), text, new IndexEntry(Hash(bytes), bytes.Length, info.LastWriteTimeUtc.Ticks), null);
    }

    /// <summary>The file still has the size and mtime it had when read (or is still missing).</summary>
    public static bool StillAsRead(string full, LocalFile? local)
    {
        var info = new FileInfo(full);
        if (local is null)
        {
            return !info.Exists;
        }

        return info.Exists && info.Length == local.Entry.Size && info.LastWriteTimeUtc.Ticks == local.Entry.MtimeTicks;
    }

    /// <summary>
    /// The atomic write of a note (only if still as <paramref name="local"/> was read, unless
    /// <paramref name="mustBeUnchanged"/> is false) or a copy; false when the file changed meanwhile. A
    /// full disk stops the command (exit 4: nothing more can be written, and the store keeps everything
    /// for the next run); any other failure (a file where a folder should be, a name the file system
    /// refuses) concerns this one note only: <see cref="UnwritableNoteException"/>.
    /// </summary>
    public bool Write(string full, byte[] bytes, LocalFile? local, bool mustBeUnchanged = true)
    {
        try
        {
            var deferFlush = DeferFlush && FileSystemSync.Supported;
            var wrote = AtomicFile.Write(full, bytes, mustBeUnchanged ? () => StillAsRead(full, local) : null, flushToDisk: !deferFlush);
            if (wrote && deferFlush)
            {
                _unflushedFile = full;
            }

            return wrote;
        }
        catch (IOException ex) when (IsDiskFull(full, bytes.Length))
        {
            throw new CliException(ExitCodes.LocalIo, $"disk full: cannot write {full} ({ex.Message})", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UnwritableNoteException(ex.Message, ex);
        }
    }

    /// <summary>The files written unflushed since the last call, made durable (one flush covers the file system).</summary>
    public void FlushDeferred()
    {
        if (_unflushedFile is { } file)
        {
            FileSystemSync.Flush(File.Exists(file) ? file : layout.IndexPath);
            _unflushedFile = null;
        }
    }

    private static bool IsDiskFull(string full, long needed)
    {
        try
        {
            var root = Path.GetPathRoot(Path.GetFullPath(full))!;
            var drive = new DriveInfo(Path.GetDirectoryName(full) is { } dir && Directory.Exists(dir) ? dir : root);

            // Room for the temp file and a little more: less means the write failed for want of space.
            return drive.AvailableFreeSpace < needed + (1024 * 1024);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>A note file as read: its hash, its text (null when trusted from the index unread), its index entry, or why it cannot be a note.</summary>
internal sealed record LocalFile(string Hash, string? Text, IndexEntry Entry, string? Problem)
{
    /// <summary>What the decision table needs of it (docs: <see cref="ReconcileDecision"/>).</summary>
    public FileState State => new(Hash, Entry.Size == 0);
}

/// <summary>A note file that cannot be written (not for want of space): this note is skipped.</summary>
internal sealed class UnwritableNoteException(string message, Exception inner) : Exception(message, inner);
