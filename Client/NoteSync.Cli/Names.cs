using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>The lower-case names the CLI prints for the client's states and transports.</summary>
internal static class Names
{
    public static string Of(ConnectionState state) => state switch
    {
        ConnectionState.Offline => "offline",
        ConnectionState.Connecting => "connecting",
        ConnectionState.Syncing => "syncing",
        ConnectionState.Online => "online",
        ConnectionState.Unauthorized => "unauthorized",
        ConnectionState.StoreFailed => "store failed (disk full?)",
        ConnectionState.QuotaExceeded => "refused: the space is full",
        _ => state.ToString().ToLowerInvariant(),
    };

    public static string Of(SyncTransport transport) => transport switch
    {
        SyncTransport.WebSocket => "websocket",
        SyncTransport.Polling => "polling",
        _ => "none",
    };
}
