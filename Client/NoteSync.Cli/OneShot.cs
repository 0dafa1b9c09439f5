using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// <c>push</c>, <c>pull</c> and <c>sync --once</c>: one exchange with the server, then exit. All pull first. <c>push</c> then scans
/// the folder (local edits into the outbox, judged against what the server holds, so an edit that crosses
/// one made elsewhere keeps the other version beside it) and waits until the server acknowledged them;
/// <c>pull</c> writes the replica into files that have no local edits (a file with local edits is left alone
/// and counted); <c>sync --once</c> does both, as the live sync's start does: edits go up, judged, and what
/// came down is written into the files that have no local edits (a crossed edit keeps both versions).
/// Either fails at once with <see cref="ExitCodes.Unreachable"/> when the server cannot be reached, or
/// <see cref="ExitCodes.AuthRefused"/> on a 401; what was queued stays queued.
/// </summary>
internal static class OneShot
{
    public static async Task<int> RunAsync(FolderSession session, OneShotKind kind, CancellationToken cancellationToken)
    {
        var push = kind != OneShotKind.Pull;
        var client = session.Client;
        var output = session.Output;
        var pushed = 0;
        var pulled = 0;
        // Writes waiting to go up: refused ones stay in the outbox, set aside, and are not among them.
        var total = client.Status.OutboxDepth - client.Status.RefusedWrites;
        var newlyRefused = 0;
        var resets = new ResetReport(output);
        client.HistoryReset += (_, r) =>
        {
            resets.On(r);
            if (r.Phase == HistoryResetPhase.Finished)
            {
                Interlocked.Add(ref total, r.WritesToReupload);
            }
        };
        var lost = new System.Collections.Concurrent.ConcurrentQueue<(string Path, NoteVersion Write)>();
        client.RemoteChanged += (_, c) =>
        {
            if (c.LostLocalWrite is { } write)
            {
                lost.Enqueue((c.Path, write));
            }
        };
        client.WriteRefused += (_, r) =>
        {
            Interlocked.Increment(ref newlyRefused);
            output.Notice(RefusalLine(r));
        };
        var refusedBefore = client.Refused;
        foreach (var r in refusedBefore)
        {
            output.Notice(RefusalLine(r));
        }

        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A full space refuses the queue of the last run but still pulls: the local edits can be judged, and
        // a delete among them may be what makes room, so the refusal ends the run only once they are queued.
        var pulledDespiteQuota = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var judged = 0;
        var refusalsSinceJudged = 0;
        client.StatusChanged += (_, s) =>
        {
            if (s.State == ConnectionState.StoreFailed)
            {
                failed.TrySetException(new CliException(ExitCodes.LocalIo, $"disk full or not writable: {s.LastError}"));
            }
            else if (s.State is ConnectionState.Offline or ConnectionState.Unauthorized && ServerRound.FailureOf(session, s) is { } failure)
            {
                failed.TrySetException(failure);
            }
            else if (s.State == ConnectionState.QuotaExceeded && push && Volatile.Read(ref judged) == 0)
            {
                pulledDespiteQuota.TrySetResult();
            }
            else if (s.State == ConnectionState.QuotaExceeded && push && Interlocked.Increment(ref refusalsSinceJudged) == 1)
            {
                // The first refusal after the edits were queued may answer a push sent before they were
                // (the queue of the last run): the client sends again at once with them, a delete among them
                // perhaps making room. The next refusal is of a push that held them.
            }
            else if (s.State == ConnectionState.QuotaExceeded)
            {
                failed.TrySetException(new CliException(ExitCodes.QuotaExceeded, $"the server refused the edits: {s.LastError ?? "quota_exceeded"}; they stay queued in .notesync and are sent by the next run once room is made"));
            }

            var all = Volatile.Read(ref total);
            if (all >= FolderSync.ProgressThreshold && s.OutboxDepth > s.RefusedWrites)
            {
                output.Progress($"uploading {Math.Max(0, all - (s.OutboxDepth - s.RefusedWrites)):N0}/{all:N0} notes");
            }
        };
        client.Start();

        // Unreachable here: the edits stay in their files, unjudged, for the next run.
        await await Task.WhenAny(client.SyncNowAsync(cancellationToken), failed.Task, pulledDespiteQuota.Task);
        if (push)
        {
            session.Sync.JudgingEditsMadeUnseen = true;
            var scanned = await session.Sync.ScanAsync(push: true, "scanning", cancellationToken, follow: kind == OneShotKind.Round);
            pushed = scanned.Pushed;
            pulled = scanned.Pulled;
            session.Sync.JudgingEditsMadeUnseen = false;

            // One write per changed file; the loop may be sending them already.
            Interlocked.Add(ref total, pushed);
            Volatile.Write(ref judged, 1);
            await await Task.WhenAny(client.SyncNowAsync(cancellationToken), failed.Task);
        }

        if (Volatile.Read(ref total) >= FolderSync.ProgressThreshold)
        {
            output.ProgressDone($"uploading {total:N0}/{total:N0} notes");
        }

        foreach (var (path, write) in lost)
        {
            session.Sync.KeepLostWrite(path, write);
        }

        // Only what the server acknowledged counts: refused writes stay in the outbox, set aside.
        var refused = client.Refused;
        var end = client.Status;
        var acknowledged = Math.Max(0, Volatile.Read(ref total) - (end.OutboxDepth - end.RefusedWrites) - Volatile.Read(ref newlyRefused));
        if (kind == OneShotKind.Round)
        {
            // What the last exchange brought (edits made elsewhere meanwhile) goes into the files too.
            pulled += (await session.Sync.ScanAsync(push: false, "writing", cancellationToken)).Pulled;
            session.Sync.RefreshConflicts();
            output.Result($"synced once: {pushed:N0} changed files pushed, {acknowledged:N0} writes acknowledged, {pulled:N0} files written, "
                + (refused.Count > 0 ? $"{refused.Count:N0} refused by the server (see above), " : "")
                + $"{session.Sync.ConflictPaths.Count:N0} notes in conflict{session.Sync.SkippedSuffix}");
            return RefusedExit(refused);
        }

        if (push)
        {
            session.Sync.RefreshConflicts();
            output.Result($"pushed: {pushed:N0} changed files, {acknowledged:N0} writes acknowledged, "
                + (refused.Count > 0 ? $"{refused.Count:N0} refused by the server (see above), " : "")
                + $"{session.Sync.ConflictPaths.Count} notes in conflict{session.Sync.SkippedSuffix}");
            return RefusedExit(refused);
        }

        var counts = await session.Sync.ScanAsync(push: false, "writing", cancellationToken);
        output.Result($"pulled: {counts.Pulled:N0} files written, {session.Sync.ConflictPaths.Count} notes in conflict"
            + (counts.LocalPending > 0 ? $", {counts.LocalPending:N0} files with local edits left alone (run push or sync)" : "")
            + session.Sync.SkippedSuffix);
        return ExitCodes.Ok;
    }

    private static int RefusedExit(IReadOnlyCollection<RefusedWrite> refused) => refused.Count > 0
        ? CommandRunner.Fail(ExitCodes.Refused, $"the server refused {refused.Count:N0} edits; they stay unsynced until their files change")
        : ExitCodes.Ok;

    /// <summary>How a refused write is shown: the file, the server's code and reason, and what happens to it.</summary>
    public static string RefusalLine(RefusedWrite refused) =>
        $"refused by the server: {refused.Path}: {refused.Code}: {refused.Reason}; not synced until the file changes";
}

/// <summary>What a <see cref="OneShot"/> run does.</summary>
internal enum OneShotKind
{
    /// <summary><c>push</c>: local edits up; files left as they are.</summary>
    Push,

    /// <summary><c>pull</c>: remote changes into files without local edits; local edits left alone.</summary>
    Pull,

    /// <summary><c>sync --once</c>: both.</summary>
    Round,
}
