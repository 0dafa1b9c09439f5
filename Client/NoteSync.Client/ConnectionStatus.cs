namespace NoteSync.Client;

/// <summary>A snapshot of a client's connection: state, transport, outbox depth, and the last problem.</summary>
/// <param name="State">Where the client stands.</param>
/// <param name="Transport">The transport in use (or last tried).</param>
/// <param name="OutboxDepth">Local writes not yet acknowledged by the server.</param>
/// <param name="FellBackToPolling">True while the WebSocket could not be established and the client polls instead.</param>
/// <param name="LastError">The last failure's message, or null after a successful exchange.</param>
public sealed record ConnectionStatus(ConnectionState State, SyncTransport Transport, int OutboxDepth, bool FellBackToPolling, string? LastError)
{
    /// <summary>
    /// How many writes of the outbox (counted in <see cref="OutboxDepth"/>) the server refused for good;
    /// <see cref="NoteSyncClient.Refused"/> names them.
    /// </summary>
    public int RefusedWrites { get; init; }

    /// <summary>
    /// True when the last failure (<see cref="ConnectionState.Offline"/>) was the server answering with an
    /// error (<c>internal</c>, <c>unavailable</c>, an HTTP 5xx, a hub method that failed), not the server out of
    /// reach: it is there, and <see cref="LastError"/> holds what it said. The client retries with backoff either way.
    /// </summary>
    public bool ServerFailed { get; init; }
}
