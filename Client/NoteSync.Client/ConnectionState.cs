namespace NoteSync.Client;

/// <summary>Where a <see cref="NoteSyncClient"/> stands with the server.</summary>
public enum ConnectionState
{
    /// <summary>Not connected: not started yet, the server is unreachable (retrying with backoff), or disposed.</summary>
    Offline,

    /// <summary>Opening a connection (the hub) or about to poll.</summary>
    Connecting,

    /// <summary>Connected and exchanging the outbox and the changes since the cursor.</summary>
    Syncing,

    /// <summary>
    /// Connected and up to date as of the last exchange; the outbox was empty when it ended, but for
    /// the writes the server refused (<see cref="ConnectionStatus.RefusedWrites"/>).
    /// </summary>
    Online,

    /// <summary>The server refused the token (401). The client retries only after <see cref="NoteSyncClientOptions.UnauthorizedRetryDelay"/>.</summary>
    Unauthorized,

    /// <summary>
    /// The local store could not be written (a full disk, lost permissions): applying what the server
    /// sent failed, an answer or a live push alike, so nothing more is synced until it can be. The
    /// client retries with backoff; what it holds stays as it was (the replica changes only once its
    /// transaction commits, and the cursor never passes a change not stored, so the change comes again
    /// once there is room), and <see cref="ConnectionStatus.LastError"/> says what failed.
    /// </summary>
    StoreFailed,

    /// <summary>
    /// Connected, but the server refused the outbox: the space is at a quota (<c>quota_exceeded</c>:
    /// too many notes, or too many bytes). Nothing is dropped: the writes stay in the outbox, changes
    /// from other devices still come in, and the client sends the outbox again with backoff (at once
    /// after a local write) until room is made, by deleting or shortening notes here or on another
    /// device. <see cref="ConnectionStatus.LastError"/> holds the server's message.
    /// </summary>
    QuotaExceeded,
}
