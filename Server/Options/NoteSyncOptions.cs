using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace NoteSync.Server.Options;

/// <summary>
/// Every server setting, bound from the <c>NoteSync</c> section (env: <c>NoteSync__X</c>).
/// Adding a setting touches: this class (with its default and range), appsettings.json, the table in
/// docs/operations.md (Configuration), and a test that the bad value fails at start-up.
/// </summary>
public sealed class NoteSyncOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "NoteSync";

    /// <summary>The store: <c>sqlite</c> (embedded, the default) or <c>redis</c>.</summary>
    [Required]
    [AllowedValues(StoreKinds.Sqlite, StoreKinds.Redis)]
    public string Store { get; set; } = StoreKinds.Sqlite;

    /// <summary>Where the embedded store keeps its files, relative to the working directory. The default is <c>./data</c>.</summary>
    [Required]
    public string DataDir { get; set; } = "./data";

    /// <summary>
    /// The Redis store, for <c>Store=redis</c>: <c>NoteSync:Redis</c> is its connection string, and
    /// <c>NoteSync:Redis:AllowVolatile</c>, <c>:MinReplicas</c>, <c>:ReplicaWaitTimeoutMs</c> settings beside it
    /// (see <see cref="RedisOptions"/>).
    /// </summary>
    [ValidateObjectMembers]
    public RedisOptions Redis { get; set; } = new();

    /// <summary>Sync paging and fan-out settings.</summary>
    [ValidateObjectMembers]
    public SyncOptions Sync { get; set; } = new();

    /// <summary>The Prometheus <c>/metrics</c> endpoint and the OTLP export: <c>NoteSync:Metrics:*</c>.</summary>
    [ValidateObjectMembers]
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>Per-frame and per-connection limits.</summary>
    [ValidateObjectMembers]
    public LimitsOptions Limits { get; set; } = new();

    /// <summary>How much of each note's history the store keeps: <c>NoteSync:History:*</c>.</summary>
    [ValidateObjectMembers]
    public HistoryOptions History { get; set; } = new();

    /// <summary>
    /// Browser origins (<c>http(s)://host[:port]</c>) besides the server's own that may open a WebSocket
    /// and read <c>POST /sync</c> and the hub's negotiate (CORS). The default is none.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Host names (as in <c>notes.example.com</c>: no scheme, port or path) under which browsers reach the
    /// server, besides <c>localhost</c> and IP addresses, which always count. A browser request whose
    /// <c>Origin</c> is <c>scheme://Host</c> of the request is the server's own only when its <c>Host</c>
    /// is one of these (docs/security.md, Browser origins); any other name gets 403, so a DNS-rebinding
    /// page cannot sync. Requests without <c>Origin</c> (native clients) pass whatever their Host. The
    /// default is none.
    /// </summary>
    public List<string> PublicHosts { get; set; } = [];

    /// <summary>Which reverse proxies' <c>X-Forwarded-*</c> headers are believed: <c>NoteSync:ForwardedHeaders:*</c>.</summary>
    public ProxyOptions ForwardedHeaders { get; set; } = new();

    /// <summary>JWT bearer auth: <c>NoteSync:Auth:*</c>.</summary>
    [ValidateObjectMembers]
    public AuthOptions Auth { get; set; } = new();
}
