using System.Security.Cryptography;
using System.Text;
using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// Keeps one folder and the client's replica in step, one note at a time (<see cref="ReconcileAsync"/>),
/// from one loop (never two calls at once). The file index tells a local edit (file hash differs from
/// the index) from a file that should follow the replica (hash equal to the index):
/// <list type="bullet">
/// <item>edited or new file: pushed (<c>PutAsync</c>), unless the replica already holds that content;</item>
/// <item>file gone but indexed: a delete (<c>DeleteAsync</c>);</item>
/// <item>unchanged file whose replica content differs: the replica's content is written (atomically), or the file deleted.</item>
/// </list>
/// A write from the server updates the index after the rename; the watcher's event for it is handled
/// later by the same loop, finds the file equal to the index, and is not echoed back. A file edited
/// locally while a remote change to it arrives counts as edited, so the local edit is pushed with a newer
/// clock and wins; the file is never overwritten while it holds content the server has not seen, and the
/// remote version is kept beside it (<c>name.conflict-&lt;device&gt;.md</c>), as is this device's write when
/// a newer one beat it before the server had it (<see cref="KeepLostWrite"/>), or when it was made while the
/// folder was not syncing and crosses a change the first pull brought (<see cref="JudgingEditsMadeUnseen"/>).
/// Only copies recorded in the index as made here are ever deleted.
/// </summary>
internal sealed class FolderSync(FolderLayout layout, NoteSyncClient client, FileIndex index, string deviceId, int maxNoteBytes, CliOutput output)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private readonly HashSet<string> _announced = new(StringComparer.Ordinal);
    private readonly HashSet<string> _skipped = new(StringComparer.Ordinal);
    private IReadOnlySet<string> _conflictPaths = new HashSet<string>(StringComparer.Ordinal);

    // During a scan: writes for the outbox and files written unflushed, both made durable before the index
    // records them (FlushBatchAsync), a thousand at a time instead of one disk flush each.
    private List<KeyValuePair<string, string?>>? _batchWrites;
    private string? _unflushedFile;

    public FolderLayout Layout => layout;

    public string DeviceId => deviceId;

    /// <summary>The notes in conflict as of the last <see cref="RefreshConflicts"/> (a snapshot, safe from any thread).</summary>
    public IReadOnlySet<string> ConflictPaths => Volatile.Read(ref _conflictPaths);

    /// <summary>Reconciles every note file, every indexed path and every note of the replica; returns the counts. <paramref name="follow"/> false writes no note file (push).</summary>
    public async Task<ScanCounts> ScanAsync(bool push, string verb, CancellationToken cancellationToken, bool follow = true)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        var counts = new ScanCounts();
        foreach (var file in EnumerateFiles())
        {
            if (NotePaths.IsNoteShaped(file) && index.CopyAt(file) is null)
            {
                if (NoteOfFile(file) is { } note)
                {
                    paths.Add(note);
                }
                else
                {
                    counts.Add(ReconcileOutcome.Skipped);
                }
            }
        }

        paths.UnionWith(index.Paths);

        // Notes whose names cannot be files (a key taken before the key rule) are among them, to be warned about.
        paths.UnionWith(client.List().Where(NotePaths.IsNoteShaped));
        var done = 0;
        index.BeginBatch();
        _batchWrites = [];
        try
        {
            foreach (var path in paths)
            {
                cancellationToken.ThrowIfCancellationRequested();
                counts.Add(await ReconcileAsync(path, push, trustStat: true, follow));
                done++;
                if (paths.Count >= ProgressThreshold)
                {
                    output.Progress($"{verb} {done:N0}/{paths.Count:N0} files");
                }

                // Commit now and then, so a long first scan does not hold one huge transaction.
                if (done % 1000 == 0)
                {
                    await FlushBatchAsync();
                    index.BeginBatch();
                }
            }

            await FlushBatchAsync();
        }
        catch
        {
            // Stopped (Ctrl+C) or failed mid-scan: what was read still goes into the outbox, so the index never
            // says "synced" for an edit the store lacks. Should that fail too, the index batch is dropped.
            try
            {
                await FlushBatchAsync();
            }
            catch (Exception ex) when (ex is IOException or Microsoft.Data.Sqlite.SqliteException or CliException)
            {
                index.RollbackBatch();
            }

            throw;
        }
        finally
        {
            _batchWrites = null;
        }

        if (paths.Count >= ProgressThreshold)
        {
            output.ProgressDone($"{verb} {done:N0}/{paths.Count:N0} files");
        }

        // Copies of notes no longer in conflict (resolved while this folder was not syncing) go too.
        RefreshConflicts(index.NotesWithCopies);
        return counts;
    }

    /// <summary>Progress is shown for runs of at least this many notes.</summary>
    public const int ProgressThreshold = 100;

    /// <summary>The notes skipped because their names cannot be files, or their files cannot be notes (each warned about once).</summary>
    public int SkippedCount => _skipped.Count;

    /// <summary>The end of a summary line counting them (<c>, 2 skipped (see the warnings above)</c>), or nothing when there are none.</summary>
    public string SkippedSuffix => _skipped.Count == 0 ? "" : $", {_skipped.Count:N0} skipped (see the warnings above)";

    /// <summary>Reconciles the note a file stands for (<paramref name="relative"/>, from the watcher), if any.</summary>
    public Task<ReconcileOutcome> ReconcileFileAsync(string relative, bool push)
    {
        if (!NotePaths.IsNoteShaped(relative) || index.CopyAt(relative) is not null)
        {
            return Task.FromResult(ReconcileOutcome.None);
        }

        return NoteOfFile(relative) is { } note ? ReconcileAsync(note, push) : Task.FromResult(ReconcileOutcome.Skipped);
    }

    /// <summary>
    /// Brings one note's file and replica entry in step. <paramref name="push"/> false leaves local edits alone
    /// (pull); <paramref name="follow"/> false leaves files that have none as they are (push).
    /// </summary>
    public async Task<ReconcileOutcome> ReconcileAsync(string path, bool push, bool trustStat = false, bool follow = true)
    {
        if (!NotePaths.IsNoteShaped(path))
        {
            return ReconcileOutcome.None;
        }

        // Checked before the file is touched: a note skipped here is never read, written, uploaded or deleted.
        var problem = NotePaths.Problem(path);
        var full = problem is null ? NotePaths.FullOf(layout.Root, path) : null;
        if (full is null)
        {
            Skip(path, path, $"skipping {path}: {problem ?? "it would be a file outside the folder"}");
            return ReconcileOutcome.Skipped;
        }

        if (index.CopyAt(path) is { } copy)
        {
            // A note from elsewhere named like a copy this folder keeps: the copy's file is not overwritten.
            Skip(path, path + "\0copy", $"skipping {path}: this folder keeps a conflict copy of {copy.Note} under that name; resolve {copy.Note} to sync it");
            return ReconcileOutcome.Skipped;
        }

        _skipped.Remove(path);
        var entry = index.Get(path);
        var local = ReadLocal(full, entry, trustStat);
        if (local is { Problem: { } localProblem })
        {
            Skip(path, path + "\0" + localProblem, $"skipping {path}: {localProblem}");
            return ReconcileOutcome.Skipped;
        }

        var replica = client.Get(path);

        // An empty file this folder never recorded, where the replica has content, is what a crash leaves of
        // a download written unflushed (the file system kept the name, not the bytes): it is filled in, not
        // pushed as an edit that would empty the note everywhere.
        var tornDownload = local is not null && entry is null && local.Text == "" && !string.IsNullOrEmpty(replica);
        if (local is not null && local.Hash != entry?.Hash && !tornDownload)
        {
            // Edited or new here.
            var text = local.Text!;
            if (replica == text)
            {
                index.Set(path, local.Entry);
                return ReconcileOutcome.None;
            }

            if (!push)
            {
                return ReconcileOutcome.LocalPending;
            }

            if (ChangedElsewhere(path, entry, replica) is { } theirs)
            {
                if (JudgingEditsMadeUnseen)
                {
                    // Made without seeing theirs, which reached the server first (others may have it already):
                    // theirs shows, the local edit is kept beside it. Once kept, the file counts as unchanged
                    // and follows the replica (a crash in between leaves the same to do).
                    KeepCopy(path, deviceId, text, copy => $"{path}: this device's edit crossed a newer one from {theirs.DeviceId}; the note shows {theirs.DeviceId}'s, this device's is kept in {copy}");
                    index.Set(path, local.Entry);
                    return await ReconcileAsync(path, push, follow: true);
                }

                // Changed here and elsewhere since the last sync: the local edit goes up with a newer clock
                // and wins, so the other version would vanish from sight; it is kept beside the note.
                KeepCopy(path, theirs.DeviceId, replica!, copy => $"{path} was changed here and on {theirs.DeviceId} since the last sync; this device's edit wins, {theirs.DeviceId}'s version is kept in {copy}");
            }

            await WriteAsync(path, text);
            index.Set(path, local.Entry);
            output.Detail($"pushed {path}");
            return ReconcileOutcome.Pushed;
        }

        if (local is null && entry is not null)
        {
            // Deleted (or renamed away) here.
            if (!push)
            {
                return ReconcileOutcome.LocalPending;
            }

            if (JudgingEditsMadeUnseen && ChangedElsewhere(path, entry, replica) is { } changed)
            {
                // Deleted without seeing a change made elsewhere: the change stays, the file comes back.
                output.Notice($"{path} was deleted here and changed on {changed.DeviceId} since the last sync; it is back with {changed.DeviceId}'s version");
                index.Remove(path);
                return await ReconcileAsync(path, push, follow: true);
            }

            if (replica is not null)
            {
                await WriteAsync(path, null);
            }

            index.Remove(path);
            output.Detail($"pushed the delete of {path}");
            return ReconcileOutcome.Pushed;
        }

        // Unchanged here (or never here): follow the replica.
        if (!follow && !tornDownload)
        {
            return ReconcileOutcome.None;
        }

        if (replica is null)
        {
            if (local is null)
            {
                return ReconcileOutcome.None;
            }

            if (StillAsRead(full, local))
            {
                File.Delete(full);
                index.Remove(path);
                output.Detail($"deleted {path} (deleted elsewhere)");
                return ReconcileOutcome.Pulled;
            }

            return await ReconcileAsync(path, push, follow: follow);
        }

        var bytes = Encoding.UTF8.GetBytes(replica);
        var hash = Hash(bytes);
        if (local is not null && hash == local.Hash)
        {
            return ReconcileOutcome.None;
        }

        bool wrote;
        try
        {
            wrote = WriteFile(full, bytes, local);
        }
        catch (UnwritableNoteException ex)
        {
            Skip(path, path + "\0write", $"cannot write {path}: {ex.Message}; it stays on the server and in .notesync, and is tried again on the next change or start");
            return ReconcileOutcome.Skipped;
        }

        if (!wrote)
        {
            // Edited between our read and the rename: it is a local edit after all.
            return await ReconcileAsync(path, push, follow: follow);
        }

        var written = new FileInfo(full);
        index.Set(path, new IndexEntry(hash, written.Length, written.LastWriteTimeUtc.Ticks));
        output.Detail($"pulled {path}");
        return ReconcileOutcome.Pulled;
    }

    /// <summary>
    /// True while the scan judges edits made while the folder was not syncing (at start-up, once pulled):
    /// an edit that crosses a change from elsewhere was made without seeing it, and yields to it.
    /// </summary>
    public bool JudgingEditsMadeUnseen { get; set; }

    /// <summary>The other device's version, when the replica changed elsewhere since the index last matched it.</summary>
    private NoteVersion? ChangedElsewhere(string path, IndexEntry? entry, string? replica) =>
        replica is not null && entry?.Hash != Hash(Encoding.UTF8.GetBytes(replica))
            && client.GetVersion(path) is { } theirs && theirs.DeviceId != deviceId ? theirs : null;

    /// <summary>A local edit (null: a delete) into the outbox: at once, or with the scan's batch.</summary>
    private Task WriteAsync(string path, string? text)
    {
        if (_batchWrites is { } batch)
        {
            batch.Add(new(path, text));
            return Task.CompletedTask;
        }

        return text is null ? client.DeleteAsync(path) : client.PutAsync(path, text);
    }

    /// <summary>The batch's outbox writes and files made durable, then the index committed: in this order, so a crash never leaves the index ahead.</summary>
    private async Task FlushBatchAsync()
    {
        if (_batchWrites is { Count: > 0 } writes)
        {
            await client.WriteManyAsync([.. writes]);
            writes.Clear();
        }

        if (_unflushedFile is { } file)
        {
            FileSystemSync.Flush(File.Exists(file) ? file : layout.IndexPath);
            _unflushedFile = null;
        }

        index.CommitBatch();
    }

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

    private void KeepCopy(string path, string device, string value, Func<string, string> message)
    {
        var copyPath = CopyPathFor(path, device);
        var copy = NotePaths.FullOf(layout.Root, copyPath)
            ?? throw new CliException(ExitCodes.LocalIo, $"cannot keep the other version of {path}: its copy would be outside the folder");

        // Recorded before the file exists: a copy is deleted only once resolved, and only if recorded.
        index.AddCopy(new ConflictCopy(copyPath, path, device));
        try
        {
            WriteFile(copy, Encoding.UTF8.GetBytes(value), local: null, mustBeUnchanged: false);
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
    /// copies of notes no longer in conflict, and says once per new conflict what happened.
    /// </summary>
    public void RefreshConflicts(IEnumerable<string>? alsoCheck = null)
    {
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
                output.Notice($"conflict: {conflict.Path} was changed on several devices at once; it shows {conflict.Winner.DeviceId}'s version, {others}. Resolve with: notesync resolve {conflict.Path} --keep mine|theirs|<file>");
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
    }

    /// <summary>Every file under the folder outside hidden folders, as relative paths with <c>/</c>.</summary>
    private IEnumerable<string> EnumerateFiles()
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

    /// <summary>
    /// How many note files hold edits (or deletes) the store has not taken yet: what a scan would push.
    /// Reads only files whose size or mtime moved, and changes nothing.
    /// </summary>
    public int CountLocalEdits()
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in EnumerateFiles())
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
            var local = ReadLocal(full, entry, trustStat: true);
            var edited = local is { Problem: null } && local.Hash != entry?.Hash && client.Get(path) != local.Text;
            var deleted = local is null && entry is not null && client.Get(path) is not null;
            if (edited || deleted)
            {
                count++;
            }
        }

        return count;
    }

    private LocalFile? ReadLocal(string full, IndexEntry? entry, bool trustStat)
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
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
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
    private static bool StillAsRead(string full, LocalFile? local)
    {
        var info = new FileInfo(full);
        if (local is null)
        {
            return !info.Exists;
        }

        return info.Exists && info.Length == local.Entry.Size && info.LastWriteTimeUtc.Ticks == local.Entry.MtimeTicks;
    }

    /// <summary>
    /// The atomic write of a note or a copy. A full disk stops the command (exit 4: nothing more can be
    /// written, and the store keeps everything for the next run); any other failure (a file where a
    /// folder should be, a name the file system refuses) concerns this one note only.
    /// </summary>
    private bool WriteFile(string full, byte[] bytes, LocalFile? local, bool mustBeUnchanged = true)
    {
        try
        {
            var deferFlush = _batchWrites is not null && FileSystemSync.Supported;
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

    private sealed class UnwritableNoteException(string message, Exception inner) : Exception(message, inner);

    /// <summary>
    /// The note a note file stands for: its relative path in NFC (the form keys take, docs/protocol.md §1).
    /// A name in another form stands for its NFC form where the file system finds the file by that name
    /// too (macOS compares names that way); where it does not, or where another file has the NFC name,
    /// the two are different files, and this one is skipped: null, warned about once.
    /// </summary>
    private string? NoteOfFile(string relative)
    {
        var note = NotePaths.Normalized(relative);
        if (note == relative || NotePaths.FullOf(layout.Root, relative) is not { } full || !File.Exists(full))
        {
            // Gone (a delete or a rename away): its NFC form is what was synced, if anything.
            return note;
        }

        var nfc = NotePaths.FullOf(layout.Root, note);
        var sameFile = nfc is not null && File.Exists(nfc)
            && !Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(nfc)!).Any(e => e == nfc);
        if (sameFile)
        {
            return note;
        }

        Skip(relative, relative, $"skipping {relative}: its name is not in Unicode normalization form C, and this file system tells it from its NFC form (another file, or none): rename it to the NFC form");
        return null;
    }

    /// <summary>Counts <paramref name="path"/> as skipped and says why, once per <paramref name="warnKey"/>.</summary>
    private void Skip(string path, string warnKey, string message)
    {
        _skipped.Add(path);
        WarnOnce(warnKey, message);
    }

    private void WarnOnce(string key, string message)
    {
        if (_warned.Add(key))
        {
            output.Notice(message);
        }
    }

    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private sealed record LocalFile(string Hash, string? Text, IndexEntry Entry, string? Problem);
}
