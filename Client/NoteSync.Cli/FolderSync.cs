using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// Keeps one folder and the client's replica in step, one note at a time (<see cref="ReconcileAsync"/>),
/// from one loop (never two calls at once): <see cref="ReconcileDecision"/> decides what to do from the
/// file, the index and the replica, and this carries it out. A write from the server updates the index
/// after the rename; the watcher's event for it is handled later by the same loop, finds the file equal
/// to the index, and is not echoed back. A file edited locally while a remote change to it arrives counts
/// as edited, and the edit goes up as an edit of the version the index says the file held
/// (<see cref="IndexEntry.Base"/>), so both stay on every device; the file is never overwritten while it
/// holds content the server has not seen, and the other version is kept beside it (<see cref="ConflictCopies"/>). A file that keeps changing between its read and its write is tried
/// <see cref="MaxAttempts"/> times, then left for its next change, said once.
/// </summary>
internal sealed partial class FolderSync
{
    /// <summary>Reads of one note in one reconcile: a file rewritten faster than this is left for its next event.</summary>
    public const int MaxAttempts = 5;

    /// <summary>Progress is shown for runs of at least this many notes.</summary>
    public const int ProgressThreshold = 100;

    private readonly FolderLayout layout;
    private readonly NoteSyncClient client;
    private readonly FileIndex index;
    private readonly string deviceId;
    private readonly CliOutput output;
    private readonly NoteFiles _files;
    private readonly ConflictCopies _copies;
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private readonly HashSet<string> _skipped = new(StringComparer.Ordinal);

    // During a scan: writes for the outbox, made durable with the files before the index records them
    // (FlushBatchAsync), a thousand at a time instead of one disk flush each.
    private List<KeyValuePair<string, string?>>? _batchWrites;

    public FolderSync(FolderLayout layout, NoteSyncClient client, FileIndex index, string deviceId, int maxNoteBytes, CliOutput output)
    {
        this.layout = layout;
        this.client = client;
        this.index = index;
        this.deviceId = deviceId;
        this.output = output;
        _files = new NoteFiles(layout, maxNoteBytes);
        _copies = new ConflictCopies(layout, client, index, _files, deviceId, output);
    }

    public FolderLayout Layout => layout;

    public string DeviceId => deviceId;

    /// <summary>The notes in conflict as of the last <see cref="RefreshConflicts"/> (a snapshot, safe from any thread).</summary>
    public IReadOnlySet<string> ConflictPaths => _copies.ConflictPaths;

    /// <summary>
    /// True while the scan judges edits made while the folder was not syncing (at start-up, once pulled):
    /// an edit that crosses a change from elsewhere was made without seeing it, and yields to it.
    /// </summary>
    public bool JudgingEditsMadeUnseen { get; set; }

    /// <summary>The notes skipped because their names cannot be files, or their files cannot be notes (each warned about once).</summary>
    public int SkippedCount => _skipped.Count;

    /// <summary>The end of a summary line counting them (<c>, 2 skipped (see the warnings above)</c>), or nothing when there are none.</summary>
    public string SkippedSuffix => _skipped.Count == 0 ? "" : $", {_skipped.Count:N0} skipped (see the warnings above)";

    public void RefreshConflicts(IEnumerable<string>? alsoCheck = null) => _copies.RefreshConflicts(alsoCheck);

    public void KeepLostWrite(string path, NoteVersion lost) => _copies.KeepLostWrite(path, lost);

    public IReadOnlySet<string> CurrentConflictPaths() => _copies.CurrentConflictPaths();

    public IReadOnlyList<ConflictCopy> CopiesOf(string notePath) => _copies.CopiesOf(notePath);

    public bool IsKept(string path) => _copies.IsKept(path);

    public void DropKept(string path) => _copies.DropKept(path);

    public void AdoptEarlierCopies() => _copies.AdoptEarlierCopies();

    /// <summary>Reconciles every note file, every indexed path and every note of the replica; returns the counts. <paramref name="follow"/> false writes no note file (push).</summary>
    public async Task<ScanCounts> ScanAsync(bool push, string verb, CancellationToken cancellationToken, bool follow = true)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        var counts = new ScanCounts();
        foreach (var file in _files.Enumerate())
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
        _files.DeferFlush = true;
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
            _files.DeferFlush = false;
        }

        if (paths.Count >= ProgressThreshold)
        {
            output.ProgressDone($"{verb} {done:N0}/{paths.Count:N0} files");
        }

        // Copies of notes no longer in conflict (resolved while this folder was not syncing) go too.
        _copies.RefreshConflicts(index.NotesWithCopies);
        return counts;
    }

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
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            // Read again on every attempt: the previous one found the file (or the index) changed under it.
            if (await ReconcileOnceAsync(path, full, push, trustStat && attempt == 1, follow) is { } outcome)
            {
                return outcome;
            }

            // After keeping a copy or restoring a delete, the file follows the replica.
            follow = true;
        }

        Skip(path, path + "\0busy", $"skipping {path} for now: it changed while it was being synced, {MaxAttempts} times in a row; it is synced at its next change or start");
        return ReconcileOutcome.Skipped;
    }

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

            // Each file now holds this device's own version: what a later edit of it is made from.
            foreach (var (path, text) in writes)
            {
                if (text is not null && index.Get(path) is { } entry)
                {
                    index.Set(path, entry with { Base = IndexEntry.BaseOf(client.GetHeads(path), text) });
                }
            }

            writes.Clear();
        }

        _files.FlushDeferred();

        index.CommitBatch();
    }

    /// <summary>How many note files hold edits (or deletes) the store has not taken yet: what a scan would push. Changes nothing.</summary>
    public int CountLocalEdits() => LocalEdits.Count(layout, _files, index, client);

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
}
