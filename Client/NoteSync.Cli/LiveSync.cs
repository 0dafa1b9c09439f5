using System.Threading.Channels;
using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// <c>notesync sync</c>: the client runs live while one loop applies, in arrival order, local file events
/// (debounced by the watcher), remote changes, full scans and <c>resolve</c> requests. Local edits are
/// judged only once the first pull is in: until then (the start, however long the server stays out of
/// reach) they wait in their files, so an edit made while stopped that crosses one made elsewhere
/// meanwhile is seen as such, and the other version kept beside it. Runs until Ctrl+C or SIGTERM, or
/// until the first connection is refused with 401 (a token that never worked will not start working).
/// The server being unreachable is not fatal: edits queue and go up on reconnect.
/// </summary>
internal sealed class LiveSync(FolderSession session, TimeSpan debounce) : IDisposable
{
    private readonly Channel<WorkItem> _work = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abort = new();
    private readonly object _gate = new();
    private readonly object _statusGate = new();
    private byte[]? _lastStatus;
    private CliException? _fatal;
    private string? _announced;
    private bool _everOnline;
    private bool _stopped;
    private int _uploadTotal;
    private bool _uploading;
    private int _downloaded;
    private bool _firstSyncDone;
    private bool _pulled;
    private int _reuploading;

    // Notes with local edits that wait for the first pull (counted in the status's outbox), touched by the loop only.
    private readonly HashSet<string> _waiting = new(StringComparer.Ordinal);
    private int _waitingCount;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var client = session.Client;
        var sync = session.Sync;
        var output = session.Output;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        var token = linked.Token;
        client.RemoteChanged += (_, c) => _work.Writer.TryWrite(new WorkItem(WorkKind.Remote, c.Path, c.IsConflict, c.LostLocalWrite));
        client.StatusChanged += (_, s) => OnStatus(s);
        client.WriteRefused += (_, r) => output.Notice(OneShot.RefusalLine(r));
        foreach (var r in client.Refused)
        {
            output.Notice(OneShot.RefusalLine(r));
        }
        var resets = new ResetReport(output);
        client.HistoryReset += (_, r) => OnReset(resets, r);
        using var watcher = new FolderWatcher(
            session.Layout.Root,
            debounce,
            path => _work.Writer.TryWrite(new WorkItem(WorkKind.Local, path, false)),
            () => _work.Writer.TryWrite(new WorkItem(WorkKind.Scan, null, false)));
        using var ticker = new Timer(_ =>
        {
            _work.Writer.TryWrite(new WorkItem(WorkKind.Requests, null, false));
            WriteStatus();
        }, null, ResolveRequests.PollInterval, ResolveRequests.PollInterval);
        try
        {
            // Files follow what the store holds already; edits wait for the first pull.
            await sync.ScanAsync(push: false, "scanning", token);
            CountWaiting(sync);
            client.Start();
            output.Notice($"syncing {session.Layout.Root} as {session.Config.Device} with {session.Config.Server}; Ctrl+C stops");
            _ = SyncThenAsync(client, WorkKind.Pulled, token);
            await RunLoopAsync(sync, token);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested && _fatal is not null)
        {
            throw _fatal;
        }
        finally
        {
            lock (_gate)
            {
                // Closing the client reports it offline with its last error: not news, and no retry follows.
                _stopped = true;
            }

            await ticker.DisposeAsync();
            TryDelete(session.Layout.StatusPath);
        }
    }

    /// <summary>A round with the server, then <paramref name="next"/> for the loop.</summary>
    private async Task SyncThenAsync(NoteSyncClient client, WorkKind next, CancellationToken cancellationToken)
    {
        try
        {
            await client.SyncNowAsync(cancellationToken);
            _work.Writer.TryWrite(new WorkItem(next, null, false));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TokenRefusedException or ObjectDisposedException)
        {
            // Stopping, or refused: OnStatus reports the refusal.
        }
    }

    private async Task RunLoopAsync(FolderSync sync, CancellationToken cancellationToken)
    {
        var reader = _work.Reader;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            var refreshConflicts = false;
            session.Index.BeginBatch();
            try
            {
                // A batch: up to this many items in one index transaction.
                for (var n = 0; n < 1000 && reader.TryRead(out var item); n++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    switch (item.Kind)
                    {
                        case WorkKind.Scan:
                            await sync.ScanAsync(push: _pulled, "scanning", cancellationToken);
                            CountWaiting(sync);
                            break;
                        case WorkKind.Pulled when !_pulled:
                            await JudgeLocalEditsAsync(sync, cancellationToken);
                            break;
                        case WorkKind.Pulled:
                            break;
                        case WorkKind.Requests:
                            await ResolveRequests.ServeAsync(
                                session.Layout,
                                async r =>
                                {
                                    var done = await r.ApplyAsync(sync, session.Client);

                                    // Before the answer: a `conflicts` run right after `resolve` must not see the old state.
                                    WriteStatus();
                                    return done;
                                },
                                r => r.ApplyAsync(sync, session.Client, session.Config.Server));
                            break;
                        case WorkKind.FirstSyncDone:
                            FinishFirstSync();
                            break;
                        default:
                            if (item.Lost is { } lost)
                            {
                                sync.KeepLostWrite(item.Path!, lost);
                            }

                            var outcome = item.Kind == WorkKind.Local
                                ? await sync.ReconcileFileAsync(item.Path!, push: _pulled)
                                : await sync.ReconcileAsync(item.Path!, push: _pulled);
                            if (outcome == ReconcileOutcome.LocalPending && _waiting.Add(item.Path!))
                            {
                                Volatile.Write(ref _waitingCount, _waiting.Count);
                            }

                            if (item.Kind == WorkKind.Remote && outcome == ReconcileOutcome.Pulled)
                            {
                                _downloaded++;
                            }

                            refreshConflicts |= item.IsConflict || sync.ConflictPaths.Contains(item.Path!);
                            break;
                    }
                }
            }
            finally
            {
                session.Index.CommitBatch();
            }

            if (refreshConflicts)
            {
                sync.RefreshConflicts();
            }

            if (!_firstSyncDone && _downloaded >= FolderSync.ProgressThreshold)
            {
                session.Output.Progress($"downloading: {_downloaded:N0} notes written");
            }
        }
    }

    /// <summary>
    /// The first pull is in: the scan now takes the edits made while stopped (or before the server could be
    /// reached), judged against what the server holds, and a second round sends them before "in sync".
    /// </summary>
    private async Task JudgeLocalEditsAsync(FolderSync sync, CancellationToken cancellationToken)
    {
        _pulled = true;
        sync.JudgingEditsMadeUnseen = true;
        try
        {
            await sync.ScanAsync(push: true, "scanning", cancellationToken);
        }
        finally
        {
            sync.JudgingEditsMadeUnseen = false;
        }

        _waiting.Clear();
        Volatile.Write(ref _waitingCount, 0);
        lock (_gate)
        {
            _uploadTotal = session.Client.Status.OutboxDepth - session.Client.Status.RefusedWrites;
            _uploading = _uploadTotal >= FolderSync.ProgressThreshold;
        }

        _ = SyncThenAsync(session.Client, WorkKind.FirstSyncDone, cancellationToken);
    }

    /// <summary>Before the first pull: how many notes have local edits waiting (a scan with push off counts them).</summary>
    private void CountWaiting(FolderSync sync)
    {
        if (!_pulled)
        {
            Volatile.Write(ref _waitingCount, Math.Max(_waiting.Count, sync.CountLocalEdits()));
        }
    }

    private void FinishFirstSync()
    {
        if (_firstSyncDone)
        {
            return;
        }

        _firstSyncDone = true;
        if (_downloaded >= FolderSync.ProgressThreshold)
        {
            session.Output.ProgressDone($"downloading: {_downloaded:N0} notes written");
        }

        var notes = session.Client.List().Count(NotePaths.IsNote);
        session.Output.Result($"in sync: {notes:N0} notes, {session.Sync.ConflictPaths.Count} in conflict{session.Sync.SkippedSuffix}");
    }

    private void OnReset(ResetReport report, HistoryResetProgress progress)
    {
        lock (_gate)
        {
            report.On(progress);
            if (progress.Phase == HistoryResetPhase.Finished && progress.NotesToReupload > 0)
            {
                // The re-uploads join the outbox now: count the upload from here.
                _reuploading = progress.NotesToReupload;
                _uploadTotal = session.Client.Status.OutboxDepth - session.Client.Status.RefusedWrites;
                _uploading = _uploadTotal >= FolderSync.ProgressThreshold;
            }
        }
    }

    private void OnStatus(ConnectionStatus status)
    {
        var output = session.Output;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            // Refused writes stay in the outbox but are not waiting to go up.
            var waiting = status.OutboxDepth - status.RefusedWrites;
            if (_reuploading > 0 && status.State == ConnectionState.Online && waiting == 0)
            {
                output.Result($"in sync again after the server's history changed: {_reuploading:N0} notes re-uploaded");
                _reuploading = 0;
            }

            if (_uploading)
            {
                var sent = Math.Max(0, _uploadTotal - waiting);
                if (waiting == 0)
                {
                    _uploading = false;
                    output.ProgressDone($"uploading {_uploadTotal:N0}/{_uploadTotal:N0} notes");
                }
                else
                {
                    output.Progress($"uploading {sent:N0}/{_uploadTotal:N0} notes");
                }
            }

            switch (status.State)
            {
                case ConnectionState.Online:
                    _everOnline = true;
                    var how = status.FellBackToPolling ? "polling; the server refused the WebSocket" : Names.Of(status.Transport);
                    Announce($"online ({how})");
                    break;
                case ConnectionState.Offline when status.ServerFailed && status.LastError is { } error:
                    // Reached: "offline" would send a person looking at the network, not at the server's log.
                    Announce($"the server answered with an error: {error}; retrying, edits are kept and sent once it accepts them", key: "server-error");
                    break;
                case ConnectionState.Offline when status.LastError is { } error:
                    Announce($"offline: {error}; retrying, edits are kept and sent on reconnect", key: "offline");
                    break;
                case ConnectionState.StoreFailed when status.LastError is { } error:
                    Announce($"cannot sync: {error}; free some space, it retries by itself", key: "store");
                    break;
                case ConnectionState.QuotaExceeded when status.LastError is { } error:
                    // The refused round still pulled: the edits made while stopped can be judged now, and a
                    // delete among them may be what makes room.
                    _work.Writer.TryWrite(new WorkItem(WorkKind.Pulled, null, false));
                    Announce($"the server refused the edits: {error}; they are kept and sent once room is made", key: "quota");
                    break;
                case ConnectionState.Unauthorized when !_everOnline:
                    _fatal = TokenRefusal.For(session.Token);
                    _abort.Cancel();
                    break;
                case ConnectionState.Unauthorized:
                    Announce("the server refused the token (401); edits are kept, retrying later", key: "unauthorized");
                    break;
            }
        }
    }

    private void Announce(string line, string? key = null)
    {
        if (_announced != (key ?? line))
        {
            _announced = key ?? line;
            session.Output.Notice(line);
        }
    }

    private void WriteStatus()
    {
        lock (_statusGate)
        {
            try
            {
                var status = session.Client.Status;
                var bytes = StatusFile.Build(status with { OutboxDepth = status.OutboxDepth + Volatile.Read(ref _waitingCount) }, session.Client.LastAck, session.Sync.ConflictPaths, session.Client.Refused);
                if (_lastStatus is null || !bytes.AsSpan().SequenceEqual(_lastStatus))
                {
                    AtomicFile.Write(session.Layout.StatusPath, bytes);
                    _lastStatus = bytes;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Status for other commands is best effort; the sync itself goes on.
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A stale status file names a pid that no longer runs; status checks the lock, not this file.
        }
    }

    public void Dispose() => _abort.Dispose();

    private enum WorkKind
    {
        Local,
        Remote,
        Scan,
        Requests,
        Pulled,
        FirstSyncDone,
    }

    private readonly record struct WorkItem(WorkKind Kind, string? Path, bool IsConflict, NoteVersion? Lost = null);
}
