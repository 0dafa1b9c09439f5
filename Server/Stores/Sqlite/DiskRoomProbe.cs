namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// Asks the file system itself whether the data directory has room again: writes a scratch file of
/// <see cref="Bytes"/>, syncs it and deletes it. Free-space figures (statvfs) would miss quotas and
/// reserved blocks, and a tiny SQLite commit can succeed on a full disk in space the WAL already holds.
/// </summary>
internal static class DiskRoomProbe
{
    /// <summary>
    /// The room that ends an episode: several ordinary pushes and a checkpoint's worth of pages, so a
    /// disk with a few bytes free does not flap between full and writable on every push.
    /// </summary>
    public const int Bytes = 1024 * 1024;

    private const string FileName = "notesync.room-probe";

    /// <summary>True when <see cref="Bytes"/> could be written and synced in <paramref name="directory"/>.</summary>
    public static bool HasRoom(string directory, out Exception? failure)
    {
        var path = Path.Combine(directory, FileName);
        try
        {
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                // Not zeros: a compressing file system (ZFS, btrfs) would store a block of zeros in no space.
                var block = new byte[64 * 1024];
                Random.Shared.NextBytes(block);
                for (var written = 0; written < Bytes; written += block.Length)
                {
                    file.Write(block);
                }

                // Some file systems only find out at the sync that the blocks cannot be allocated.
                file.Flush(flushToDisk: true);
            }

            failure = null;
            return true;
        }
        catch (IOException ex)
        {
            failure = ex;
            return false;
        }
        catch (UnauthorizedAccessException ex)
        {
            failure = ex;
            return false;
        }
        finally
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Left for the next probe, which overwrites it.
            }
            catch (UnauthorizedAccessException)
            {
                // As above.
            }
        }
    }
}
