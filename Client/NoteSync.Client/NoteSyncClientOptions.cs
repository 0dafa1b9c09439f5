using Microsoft.Extensions.Logging;

namespace NoteSync.Client;

/// <summary>
/// Settings of a <see cref="NoteSyncClient"/> beyond <see cref="NoteSync.Shared.SyncConfig"/>: where the
/// local store lives, the token, the logger, and the reconnect timing.
/// </summary>
public sealed class NoteSyncClientOptions
{
    /// <summary>The folder of the local store (<c>notesync.db</c>, SQLite). Created when missing. Required.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>A fixed bearer token (JWT). Ignored when <see cref="TokenProvider"/> is set. The default is none (auth off).</summary>
    public string? Token { get; set; }

    /// <summary>Called before each connection and each poll for the current token; null means no token. The default is none.</summary>
    public Func<CancellationToken, ValueTask<string?>>? TokenProvider { get; set; }

    /// <summary>Where the client logs; never note contents or tokens. The default logs nothing.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>The first reconnect delay after a failure, before jitter. The default is 500 ms.</summary>
    public TimeSpan MinReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest reconnect delay: the backoff doubles up to this (jitter included). The default is 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a fallback to polling, how long to poll before trying the WebSocket again. The default is 30 s.</summary>
    public TimeSpan WebSocketRetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After the server refused the token (401), how long to wait before trying again. The default is 30 s.</summary>
    public TimeSpan UnauthorizedRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The hub's path under <see cref="NoteSync.Shared.SyncConfig.SyncEndpoint"/>. The default is <c>hubs/sync</c>.</summary>
    public string HubPath { get; set; } = "hubs/sync";

    /// <summary>The polling endpoint's path under the sync endpoint. The default is <c>sync</c>.</summary>
    public string PollPath { get; set; } = "sync";

    /// <summary>The most outbox writes sent in one push. The default is 500.</summary>
    public int MaxChangesPerPush { get; set; } = 500;

    /// <summary>How long one push or pull may take before the connection counts as lost. The default is 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
