using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>What <c>status</c> counts as waiting while the sync is stopped: the folder's edits not yet in the store.</summary>
internal static class LocalEdits
{
    /// <summary>
    /// How many note files hold edits (or deletes) the store has not taken yet: what a scan would push.
    /// Reads only files whose size or mtime moved, and changes nothing.
    /// </summary>
    public static int Count(FolderLayout layout, NoteFiles files, FileIndex index, NoteSyncClient client)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files.Enumerate())
        {
            if (NotePaths.IsNoteShaped(file) && index.CopyAt(file) is null)
            {
                paths.Add(NotePaths.Normalized(file));
            }
        }

        paths.UnionWith(index.Paths);
        var count = 0;
        foreach (var path in paths)
        {
            if (NotePaths.Problem(path) is not null || NotePaths.FullOf(layout.Root, path) is not { } full)
            {
                continue;
            }

            var entry = index.Get(path);
            var local = files.Read(full, entry, trustStat: true);
            var edited = local is { Problem: null } && local.Hash != entry?.Hash && client.Get(path) != local.Text;
            var deleted = local is null && entry is not null && client.Get(path) is not null;
            if (edited || deleted)
            {
                count++;
            }
        }

        return count;
    }
}
