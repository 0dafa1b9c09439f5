namespace NoteSync.Cli;

/// <summary>The note's file as read now: its content hash, and whether it is empty. Null where there is no file.</summary>
internal sealed record FileState(string Hash, bool Empty);

/// <summary>
/// The replica's version of the note: its content hash (null when the note does not exist or is
/// deleted), whether it is empty, and whether its winning write is another device's.
/// </summary>
internal sealed record RemoteState(string? Hash, bool Empty, bool ByOtherDevice)
{
    public static readonly RemoteState None = new(null, true, false);
}

/// <summary>What the run allows: <c>Push</c> false leaves local edits alone (pull); <c>Follow</c> false writes no note file (push); <c>JudgingUnseen</c> while the start-up scan judges edits made while the folder was not syncing.</summary>
internal sealed record ReconcileMode(bool Push, bool Follow, bool JudgingUnseen);

/// <summary>What to do about one note, decided by <see cref="ReconcileDecision.Decide"/>.</summary>
internal enum ReconcileAction
{
    /// <summary>Nothing to do: in step, or not this run's business.</summary>
    Nothing,

    /// <summary>The file holds what the replica holds, but the index does not know it: record the file.</summary>
    RecordFile,

    /// <summary>A local edit or delete the run may not push (pull): counted as waiting.</summary>
    LocalPending,

    /// <summary>Edited or new here: push it.</summary>
    Push,

    /// <summary>Edited here and changed elsewhere since the last sync: keep theirs as a copy, push ours (it wins with a newer clock).</summary>
    KeepTheirsThenPush,

    /// <summary>Edited while the folder was not syncing, crossing theirs: keep ours as a copy, record the file, then follow the replica.</summary>
    KeepMineThenFollow,

    /// <summary>Deleted here: push the delete.</summary>
    PushDelete,

    /// <summary>Deleted here, and the replica holds nothing either: forget the file.</summary>
    ForgetDeleted,

    /// <summary>Deleted while the folder was not syncing, crossing a change made elsewhere: the change stays, so forget the delete and follow the replica.</summary>
    RestoreDeleted,

    /// <summary>Unchanged here, deleted in the replica: delete the file.</summary>
    DeleteFile,

    /// <summary>Unchanged here (or never here, or an empty file a crash left of a download), different in the replica: write the file.</summary>
    WriteFile,
}

/// <summary>
/// The reconcile decision table: from the file, the index's record of it and the replica's version,
/// what to do. A pure function; <see cref="FolderSync"/> carries the action out. The index tells a
/// local edit (the file's hash differs from the index) from a file that should follow the replica
/// (hash equal to the index).
/// </summary>
internal static class ReconcileDecision
{
    public static ReconcileAction Decide(FileState? file, string? indexHash, RemoteState remote, ReconcileMode mode)
    {
        // An empty file this folder never recorded, where the replica has content, is what a crash leaves of
        // a download written unflushed (the file system kept the name, not the bytes): it is filled in, not
        // pushed as an edit that would empty the note everywhere.
        var tornDownload = file is { Empty: true } && indexHash is null && remote is { Hash: not null, Empty: false };

        // The replica changed since the index last matched it, by another device.
        var changedElsewhere = remote.Hash is not null && remote.Hash != indexHash && remote.ByOtherDevice;
        if (file is not null && file.Hash != indexHash && !tornDownload)
        {
            return file.Hash == remote.Hash ? ReconcileAction.RecordFile
                : !mode.Push ? ReconcileAction.LocalPending
                : !changedElsewhere ? ReconcileAction.Push
                : mode.JudgingUnseen ? ReconcileAction.KeepMineThenFollow
                : ReconcileAction.KeepTheirsThenPush;
        }

        if (file is null && indexHash is not null)
        {
            return !mode.Push ? ReconcileAction.LocalPending
                : mode.JudgingUnseen && changedElsewhere ? ReconcileAction.RestoreDeleted
                : remote.Hash is not null ? ReconcileAction.PushDelete
                : ReconcileAction.ForgetDeleted;
        }

        // Unchanged here (or never here): follow the replica.
        if (!mode.Follow && !tornDownload)
        {
            return ReconcileAction.Nothing;
        }

        if (remote.Hash is null)
        {
            return file is null ? ReconcileAction.Nothing : ReconcileAction.DeleteFile;
        }

        return file?.Hash == remote.Hash ? ReconcileAction.Nothing : ReconcileAction.WriteFile;
    }
}
