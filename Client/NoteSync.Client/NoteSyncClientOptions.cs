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

    /// <summary>Where the server maps its hub, under its address: <c>hubs/sync</c>.</summary>
    public const string DefaultHubPath = "hubs/sync";

    /// <summary>The hub's path under <see cref="NoteSync.Shared.SyncConfig.SyncEndpoint"/>. The default is <see cref="DefaultHubPath"/>.</summary>
    public string HubPath { get; set; } = DefaultHubPath;

    /// <summary>The polling endpoint's path under the sync endpoint. The default is <c>sync</c>.</summary>
    public string PollPath { get; set; } = "sync";

    /// <summary>The most outbox writes sent in one push. The default is 500.</summary>
    public int MaxChangesPerPush { get; set; } = 500;

    /// <summary>
    /// The most bytes of changes sent in one push (as JSON; the server's <c>max_message_bytes</c> bounds it
    /// further once an answer told it). A write larger than this goes alone. The default is 1 MiB, what
    /// a proxy takes by default (nginx), and a size a slow link uploads within its timeout.
    /// </summary>
    public long MaxPushBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long one push or pull may take before the connection counts as lost, besides the upload's
    /// share (<see cref="MinUploadBytesPerSecond"/>). The default is 30 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The slowest upload waited for: a push of n bytes may take <see cref="RequestTimeout"/> plus n
    /// divided by this, so a large push over a slow link is not cut and sent again forever. After a
    /// timeout the next pushes are smaller. The default is 16 KiB/s.
    /// </summary>
    public long MinUploadBytesPerSecond { get; set; } = 16 * 1024;

    /// <summary>
    /// How long a push's upload may make no progress (a chunk of it handed to the connection and not
    /// taken) before the push is abandoned like a timed-out one: the connection is dropped and the next
    /// pushes are half as large. A stalled uplink is then noticed this soon, whatever the push's size
    /// allowance (<see cref="MinUploadBytesPerSecond"/>); the wait for the answer once the upload went
    /// is bounded by that allowance alone. <see cref="Timeout.InfiniteTimeSpan"/> turns it off. The
    /// default is 30 s.
    /// </summary>
    public TimeSpan UploadStallTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
