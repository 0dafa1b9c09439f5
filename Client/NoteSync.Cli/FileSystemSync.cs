using System.Runtime.InteropServices;

namespace NoteSync.Cli;

/// <summary>
/// One flush of a whole file system (Linux <c>syncfs</c>), for scans that write thousands of files: each
/// file's own flush costs about a millisecond on a virtual disk, so 10,000 of them alone would take longer
/// than the whole download should; one <c>syncfs</c> after a batch costs about as much as ten. Elsewhere
/// every file is flushed as it is written.
/// </summary>
internal static partial class FileSystemSync
{
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>Flushes the file system holding <paramref name="anyFile"/> (an existing file; a folder cannot be opened as a handle here).</summary>
    public static void Flush(string anyFile)
    {
        using var handle = File.OpenHandle(anyFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (SyncFs((int)handle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"syncfs failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);
}
