namespace NoteSync.Client;

/// <summary>How a <see cref="NoteSyncClient"/> talks to the server.</summary>
public enum SyncTransport
{
    /// <summary>No transport yet.</summary>
    None,

    /// <summary>The SignalR hub over a WebSocket (MessagePack, negotiation skipped), with live pushes.</summary>
    WebSocket,

    /// <summary><c>POST /sync</c> every <see cref="NoteSync.Shared.SyncConfig.SyncIntervalMs"/>.</summary>
    Polling,
}
