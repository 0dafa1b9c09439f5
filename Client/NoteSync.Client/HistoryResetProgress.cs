namespace NoteSync.Client;

/// <summary>Where a reset stands (<see cref="NoteSyncClient.HistoryReset"/>).</summary>
public enum HistoryResetPhase
{
    /// <summary>The server's history changed (a restore or a failover): the space is being read again from 0.</summary>
    Started,

    /// <summary>A further page of the space arrived.</summary>
    Reading,

    /// <summary>The whole space arrived; what the server lost is queued in the outbox and being pushed.</summary>
    Finished,
}

/// <summary>One step of a reset.</summary>
/// <param name="Phase">Where the reset stands.</param>
/// <param name="NotesReceived">How many notes (keys, tombstones included) the server sent since the reset began.</param>
/// <param name="NotesToReupload">On <see cref="HistoryResetPhase.Finished"/>: how many notes the server lacked or held older, now queued again.</param>
/// <param name="WritesToReupload">On <see cref="HistoryResetPhase.Finished"/>: their writes (a note in conflict has several).</param>
public sealed record HistoryResetProgress(HistoryResetPhase Phase, int NotesReceived, int NotesToReupload, int WritesToReupload);
