using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// The names the CLI gives the client's states and transports: a stable snake_case id for status.json and
/// <c>--json</c> (scripts compare them), and the words <c>status</c> prints for a person.
/// </summary>
internal static class Names
{
    /// <summary>The id of a server that answers with errors (<see cref="ConnectionStatus.ServerFailed"/>): reached, not offline.</summary>
    public const string ServerError = "server_error";

    public static string IdOf(ConnectionStatus status) => status.State switch
    {
        ConnectionState.Offline when status.ServerFailed => ServerError,
        ConnectionState.Offline => "offline",
        ConnectionState.Connecting => "connecting",
        ConnectionState.Syncing => "syncing",
        ConnectionState.Online => "online",
        ConnectionState.Unauthorized => "unauthorized",
        ConnectionState.StoreFailed => "store_failed",
        ConnectionState.QuotaExceeded => "quota_exceeded",
        _ => status.State.ToString().ToLowerInvariant(),
    };

    /// <summary>A state id in words; an id this notesync does not know (a newer one's status file) as it is.</summary>
    public static string Describe(string stateId) => stateId switch
    {
        ServerError => "server error (the server answers, with errors)",
        "store_failed" => "store failed (disk full?)",
        "quota_exceeded" => "refused: the space is full",
        _ => stateId,
    };

    public static string Of(SyncTransport transport) => transport switch
    {
        SyncTransport.WebSocket => "websocket",
        SyncTransport.Polling => "polling",
        _ => "none",
    };
}
