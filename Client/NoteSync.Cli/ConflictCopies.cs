using System.Text;
using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// The conflict copies of one folder: a version that would vanish from sight is kept beside its note as
/// <c>name.conflict-&lt;device&gt;.ext</c>, recorded in the index before the file exists; only copies so
/// recorded are ever deleted, once their note is resolved. The notes in conflict are the replica's
/// conflicts and the notes with kept copies.
/// </summary>
internal sealed class ConflictCopies(FolderLayout layout, NoteSyncClient client, FileIndex index, NoteFiles files, string deviceId, CliOutput output)
{
    private readonly HashSet<string> _announced = new(StringComparer.Ordinal);
    private IReadOnlySet<string> _conflictPaths = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The notes in conflict as of the last <see cref="RefreshConflicts"/> (a snapshot, safe from any thread).</summary>
    public IReadOnlySet<string> ConflictPaths => Volatile.Read(ref _conflictPaths);

    /// <summary>
    /// This device's write that a newer one from elsewhere beat before the server had it (the library's
    /// <see cref="RemoteChange.LostLocalWrite"/>): the note is about to show the other version, so this
    /// one is kept beside it as <c>name.conflict-&lt;this device&gt;.ext</c>. Call before reconciling the note.
    /// </summary>
    public void KeepLostWrite(string path, NoteVersion lost)
    {
        if (!NotePaths.IsNote(path) || lost.Value is null || client.GetVersion(path) is not { } now || now.Value == lost.Value)
        {
            return;
        }

        KeepCopy(path, deviceId, lost.Value, copy => $"{path}: this device's edit crossed a newer one from {now.DeviceId}; the note shows {now.DeviceId}'s, this device's is kept in {copy}");
    }

    /// <summary>The notes in conflict now: the replica's conflicts and the notes with kept copies.</summary>
    public IReadOnlySet<string> CurrentConflictPaths() =>
        new HashSet<string>(client.GetConflicts().Select(c => c.Path).Where(NotePaths.IsNote).Concat(index.KeptPaths), StringComparer.Ordinal);

    /// <summary>The conflict copies this folder made of <paramref name="notePath"/>.</summary>
    public IReadOnlyList<ConflictCopy> CopiesOf(string notePath) => index.CopiesOf(notePath);

    /// <summary>True when the note has kept copies (see <see cref="KeepLostWrite"/>) rather than, or besides, a replica conflict.</summary>
    public bool IsKept(string path) => index.KeptPaths.Contains(path);

    /// <summary>Ends a kept conflict: its copies are removed.</summary>
    public void DropKept(string path)
    {
        index.SetKept(path, false);
        RemoveConflictCopies(path, except: []);
    }

    public void KeepCopy(string path, string device, string value, Func<string, string> message)
    {
        var copyPath = CopyPathFor(path, device);
        var copy = NotePaths.FullOf(layout.Root, copyPath)
            ?? throw new CliException(ExitCodes.LocalIo, $"cannot keep the other version of {path}: its copy would be outside the folder");

        // Recorded before the file exists: a copy is deleted only once resolved, and only if recorded.
        index.AddCopy(new ConflictCopy(copyPath, path, device));
        try
        {
            files.Write(copy, Encoding.UTF8.GetBytes(value), local: null, mustBeUnchanged: false);
        }
        catch (UnwritableNoteException ex)
        {
            // Without its copy the version would vanish when the note is written: stop instead; it is still in the store.
            throw new CliException(ExitCodes.LocalIo, $"cannot keep the other version of {path} in {copy}: {ex.Message}", ex);
        }

        index.SetKept(path, true);
        output.Notice($"conflict: {message(copyPath)}. Resolve with: notesync resolve {path} --keep mine|theirs|<file>");
        Volatile.Write(ref _conflictPaths, new HashSet<string>(ConflictPaths.Append(path), StringComparer.Ordinal));
    }

    /// <summary>
    /// Writes each conflict's siblings next to the note as <c>name.conflict-&lt;device&gt;.ext</c>, removes the
    /// copies of notes no longer in conflict, and says once per new conflict what happened: for the note of
    /// <paramref name="crossed"/>, in its words. Returns whether that note's conflict was told.
    /// </summary>
    public bool RefreshConflicts(IEnumerable<string>? alsoCheck = null, (string Path, string Lead)? crossed = null)
    {
        var told = false;
        var conflicts = client.GetConflicts().Where(c => NotePaths.IsNote(c.Path)).ToList();
        var now = new HashSet<string>(StringComparer.Ordinal);
        foreach (var conflict in conflicts)
        {
            now.Add(conflict.Path);
            var wanted = new Dictionary<string, (string Device, string Value)>(StringComparer.Ordinal);
            var copyOf = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var sibling in conflict.Siblings)
            {
                if (sibling.Value is not null)
                {
                    var copyPath = CopyPathFor(conflict.Path, sibling.DeviceId);
                    wanted.TryAdd(copyPath, (sibling.DeviceId, sibling.Value));
                    copyOf.TryAdd(sibling.DeviceId, copyPath);
                }
            }

            if (!index.KeptPaths.Contains(conflict.Path))
            {
                RemoveConflictCopies(conflict.Path, except: wanted.Keys);
            }

            foreach (var (copy, (device, value)) in wanted)
            {
                if (NotePaths.FullOf(layout.Root, copy) is not { } full)
                {
                    continue;
                }

                if (index.CopyAt(copy) is null)
                {
                    index.AddCopy(new ConflictCopy(copy, conflict.Path, device));
                }

                var bytes = Encoding.UTF8.GetBytes(value);
                if (!File.Exists(full) || !File.ReadAllBytes(full).AsSpan().SequenceEqual(bytes))
                {
                    AtomicFile.Write(full, bytes);
                }
            }

            var signature = $"{conflict.Path}\0{conflict.Winner.Timestamp}";
            if (_announced.Add(signature))
            {
                var others = string.Join(", ", conflict.Siblings.Select(s => s.Value is null
                    ? $"{s.DeviceId} deleted it"
                    : $"{s.DeviceId}'s version is in {copyOf.GetValueOrDefault(s.DeviceId)}"));
                var isCrossed = crossed?.Path == conflict.Path;
                var lead = isCrossed ? crossed!.Value.Lead : $"{conflict.Path} was changed on several devices at once";
                told |= isCrossed;
                output.Notice($"conflict: {lead}; it shows {conflict.Winner.DeviceId}'s version, {others}. Resolve with: notesync resolve {conflict.Path} --keep mine|theirs|<file>, or --merge to finish a merge of the versions in the note");
            }
        }

        foreach (var gone in ConflictPaths.Concat(alsoCheck ?? []).Distinct(StringComparer.Ordinal))
        {
            if (!now.Contains(gone) && !index.KeptPaths.Contains(gone))
            {
                RemoveConflictCopies(gone, except: []);
                output.Detail($"conflict on {gone} resolved");
            }
        }

        now.UnionWith(index.KeptPaths);
        Volatile.Write(ref _conflictPaths, now);
        return told;
    }

    /// <summary>Deletes the copies of <paramref name="notePath"/> this folder recorded making, but those in <paramref name="except"/>; no other file.</summary>
    private void RemoveConflictCopies(string notePath, IEnumerable<string> except)
    {
        var keep = new HashSet<string>(except, StringComparer.Ordinal);
        foreach (var copy in index.CopiesOf(notePath))
        {
            if (keep.Contains(copy.Path))
            {
                continue;
            }

            if (NotePaths.FullOf(layout.Root, copy.Path) is { } full)
            {
                File.Delete(full);
            }

            index.RemoveCopy(copy.Path);
        }
    }

    /// <summary>
    /// Where the copy of <paramref name="device"/>'s version of <paramref name="notePath"/> goes: the copy already
    /// made for it, or <c>name.conflict-&lt;device&gt;.ext</c> unless a note, a file or another copy has that
    /// name (then <c>-2</c>, <c>-3</c>...): a copy never overwrites a note.
    /// </summary>
    private string CopyPathFor(string notePath, string device)
    {
        for (var attempt = 1; attempt <= 100; attempt++)
        {
            var candidate = NotePaths.ConflictPath(notePath, device, attempt);
            if (index.CopyAt(candidate) is { } made)
            {
                if (made.Note == notePath && made.Device == device)
                {
                    return candidate;
                }

                continue;
            }

            if (index.Get(candidate) is null && client.GetVersion(candidate) is null
                && NotePaths.FullOf(layout.Root, candidate) is { } full && !File.Exists(full) && !Directory.Exists(full))
            {
                return candidate;
            }
        }

        throw new CliException(ExitCodes.LocalIo, $"cannot keep {device}'s version of {notePath}: every name for its copy is taken");
    }

    /// <summary>
    /// An index from before copies were recorded: the copies of the notes in conflict now are this folder's
    /// (it made them); other files named like copies are notes from here on.
    /// </summary>
    public void AdoptEarlierCopies()
    {
        foreach (var note in CurrentConflictPaths())
        {
            var (dir, prefix, ext) = NotePaths.ConflictPattern(note);
            var fullDir = dir.Length == 0 ? layout.Root : NotePaths.FullOf(layout.Root, dir);
            if (fullDir is null || !Directory.Exists(fullDir))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(fullDir, prefix + "*" + ext))
            {
                var name = Path.GetFileName(file);
                if (NotePaths.RelativeOf(layout.Root, file) is { } relative && NotePaths.IsConflictName(name))
                {
                    index.AddCopy(new ConflictCopy(relative, note, name[prefix.Length..^ext.Length]));
                }
            }
        }
    }
}
