namespace NoteSync.Client;

// Status and reset progress: changed under the lock, raised outside it, in order, none dropped.
public sealed partial class NoteSyncClient
{
    /// <summary>
    /// Raises the reset's progress in the order the frames were applied. Frames are applied on more than
    /// one thread (an answer, and a live push over the hub), so each thread raising its own events after
    /// leaving the gate could report Reading before Started; the queue is filled inside the gate, and one
    /// thread at a time empties it.
    /// </summary>
    private void RaiseResetProgress()
    {
        lock (_resetProgressRaising)
        {
            while (true)
            {
                (HistoryResetProgress Progress, string? Epoch, long AckTimestamp) next;
                lock (_gate)
                {
                    if (!_resetProgress.TryDequeue(out next))
                    {
                        return;
                    }
                }

                var p = next.Progress;
                if (p.Phase == HistoryResetPhase.Started)
                {
                    Log.HistoryReset(_logger, next.Epoch ?? "(none)", next.AckTimestamp);
                }
                else if (p.Phase == HistoryResetPhase.Finished)
                {
                    Log.ResetRead(_logger, p.NotesReceived, p.NotesToReupload, p.WritesToReupload);

                    // Over the hub the last page may come as a live push: wake the loop to push the re-uploads.
                    ReleaseWake();
                }

                HistoryReset?.Invoke(this, p);
            }
        }
    }

    // Statuses changed under the lock, raised outside it (a handler must not run under the lock), in order, none dropped.
    private readonly Queue<ConnectionStatus> _pendingStatuses = new();

    private void UpdateStatusLocked(ConnectionStatus next)
    {
        if (next != _status)
        {
            _status = next;
            _pendingStatuses.Enqueue(next);
        }
    }

    private void SetStatus(ConnectionState state, SyncTransport transport, bool fellBack, string? error, bool serverFailed = false)
    {
        lock (_gate)
        {
            UpdateStatusLocked(new ConnectionStatus(state, transport, _outboxDepth, fellBack, error) { RefusedWrites = _refused.Length, ServerFailed = serverFailed });
        }

        RaisePendingStatus();
    }

    private void RaisePendingStatus()
    {
        ConnectionStatus[] pending;
        lock (_gate)
        {
            if (_pendingStatuses.Count == 0)
            {
                return;
            }

            pending = [.. _pendingStatuses];
            _pendingStatuses.Clear();
        }

        foreach (var status in pending)
        {
            StatusChanged?.Invoke(this, status);
        }
    }
}
