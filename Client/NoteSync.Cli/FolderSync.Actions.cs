using System.Text;
using NoteSync.Client;

namespace NoteSync.Cli;

// One note's reconcile: the read, the decision (ReconcileDecision) and the action carried out.
internal sealed partial class FolderSync
{
    /// <summary>One read, one decision, its action; null when the note must be read and decided again.</summary>
    private async Task<ReconcileOutcome?> ReconcileOnceAsync(string path, string full, bool push, bool trustStat, bool follow)
    {
        var entry = index.Get(path);
        var local = _files.Read(full, entry, trustStat);
        if (local is { Problem: { } localProblem })
        {
            Skip(path, path + "\0" + localProblem, $"skipping {path}: {localProblem}");
            return ReconcileOutcome.Skipped;
        }

        // One read of the replica: the text and the versions it is made of.
        var heads = client.GetHeads(path);
        var theirs = heads.Count > 0 && heads[0].Value is not null ? heads[0] : null;
        var replica = theirs?.Value;
        var remote = replica is null ? RemoteState.None : new RemoteState(NoteFiles.Hash(replica), replica.Length == 0, theirs is not null && theirs.DeviceId != deviceId);
        var action = ReconcileDecision.Decide(local?.State, entry?.Hash, remote, new ReconcileMode(push, follow, JudgingEditsMadeUnseen));
        switch (action)
        {
            case ReconcileAction.Nothing:
                return ReconcileOutcome.None;

            case ReconcileAction.RecordFile:
                index.Set(path, local!.Entry with { Base = IndexEntry.BaseOf(heads, replica!) });
                return ReconcileOutcome.None;

            case ReconcileAction.LocalPending:
                return ReconcileOutcome.LocalPending;

            case ReconcileAction.KeepMineThenFollow when entry?.Base is { Count: > 0 }:
            case ReconcileAction.KeepTheirsThenPush when entry?.Base is { Count: > 0 }:
                // Edited from the version the file last held, crossing one written elsewhere: it goes up as an edit
                // of that version, so the server keeps both on every device, or merges them (docs/protocol.md
                // §2.3), whatever the clocks; the replica shows the conflict at once, with its copy.
                await client.PutAsync(path, local!.Text!, entry.Base);
                index.Set(path, local.Entry with { Base = IndexEntry.BaseOf(client.GetHeads(path), local.Text!) });

                // The replica is in conflict from this write alone, which no remote change will announce: told
                // here, once, with its copy and how to resolve it.
                var lead = $"{path} was edited here and on {theirs!.DeviceId} since the last sync; both edits are kept: the server merges them, or the note stays in conflict on every device";
                if (!_copies.RefreshConflicts(crossed: (path, lead)))
                {
                    output.Notice(lead);
                }

                return ReconcileOutcome.Pushed;

            case ReconcileAction.KeepMineThenFollow:
                // Made without seeing theirs, which reached the server first (others may have it already):
                // theirs shows, the local edit is kept beside it. Once kept, the file counts as unchanged
                // and follows the replica (a crash in between leaves the same to do).
                _copies.KeepCopy(path, deviceId, local!.Text!, copy => $"{path}: this device's edit crossed a newer one from {theirs!.DeviceId}; the note shows {theirs.DeviceId}'s, this device's is kept in {copy}");
                index.Set(path, local.Entry);
                return null;

            case ReconcileAction.KeepTheirsThenPush:
                // The local edit goes up with a newer clock and wins, so the other version would vanish from sight.
                _copies.KeepCopy(path, theirs!.DeviceId, replica!, copy => $"{path} was changed here and on {theirs.DeviceId} since the last sync; this device's edit wins, {theirs.DeviceId}'s version is kept in {copy}");
                goto case ReconcileAction.Push;

            case ReconcileAction.Push:
                await WriteAsync(path, local!.Text!);
                index.Set(path, local.Entry with { Base = _batchWrites is null ? IndexEntry.BaseOf(client.GetHeads(path), local.Text!) : null });
                output.Detail($"pushed {path}");
                return ReconcileOutcome.Pushed;

            case ReconcileAction.RestoreDeleted:
                output.Notice($"{path} was deleted here and changed on {theirs!.DeviceId} since the last sync; it is back with {theirs.DeviceId}'s version");
                index.Remove(path);
                return null;

            case ReconcileAction.PushDelete:
                await WriteAsync(path, null);
                goto case ReconcileAction.ForgetDeleted;

            case ReconcileAction.ForgetDeleted:
                index.Remove(path);
                output.Detail($"pushed the delete of {path}");
                return ReconcileOutcome.Pushed;

            case ReconcileAction.DeleteFile:
                if (!NoteFiles.StillAsRead(full, local))
                {
                    return null;
                }

                File.Delete(full);
                index.Remove(path);
                RemoveEmptiedFolders(full);
                output.Detail($"deleted {path} (deleted elsewhere)");
                return ReconcileOutcome.Pulled;

            case ReconcileAction.WriteFile:
                return WriteReplica(path, full, replica!, local, heads);

            default:
                throw new InvalidOperationException($"no handling for {action}");
        }
    }

    /// <summary>
    /// A folder is only a part of notes' names (the page shows none without notes), so one emptied by a delete
    /// from elsewhere goes too: a note moved to another folder leaves no empty folder behind. A folder that
    /// still holds anything (a file written meanwhile, a skipped or hidden one) stays, as does the root.
    /// </summary>
    private void RemoveEmptiedFolders(string full)
    {
        var root = Path.TrimEndingDirectorySeparator(layout.Root);
        for (var folder = Path.GetDirectoryName(full); folder is not null && folder.Length > root.Length; folder = Path.GetDirectoryName(folder))
        {
            try
            {
                // Not recursive: it refuses a folder that is not empty, with no window to lose a file in.
                Directory.Delete(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    /// <summary>The replica's content into the file, unless it was edited since read (null: decide again).</summary>
    private ReconcileOutcome? WriteReplica(string path, string full, string replica, LocalFile? local, IReadOnlyList<NoteVersion> heads)
    {
        var bytes = Encoding.UTF8.GetBytes(replica);
        bool wrote;
        try
        {
            wrote = _files.Write(full, bytes, local);
        }
        catch (UnwritableNoteException ex)
        {
            Skip(path, path + "\0write", $"cannot write {path}: {ex.Message}; it stays on the server and in .notesync, and is tried again on the next change or start");
            return ReconcileOutcome.Skipped;
        }

        if (!wrote)
        {
            return null;
        }

        var written = new FileInfo(full);
        index.Set(path, new IndexEntry(NoteFiles.Hash(bytes), written.Length, written.LastWriteTimeUtc.Ticks, IndexEntry.BaseOf(heads, replica)));
        output.Detail($"pulled {path}");
        return ReconcileOutcome.Pulled;
    }
}
