using System.ComponentModel.DataAnnotations;

namespace NoteSync.Server.Options;

/// <summary>
/// The Redis store's settings, for <c>NoteSync:Store=redis</c>. <c>NoteSync:Redis</c> itself is the
/// connection string (docs/operations.md: <c>NoteSync__Redis=127.0.0.1:6379</c>), and the section may carry
/// children beside it (<c>NoteSync__Redis__AllowVolatile=true</c>); .NET configuration allows both on one
/// key. In a JSON file, where a key cannot have both, write the string as <c>Configuration</c>:
/// <c>"Redis": { "Configuration": "127.0.0.1:6379", "AllowVolatile": false }</c>.
/// <para>
/// A Sentinel-managed primary is named by its sentinels and its service name:
/// <c>NoteSync__Redis=127.0.0.1:26379,127.0.0.1:26380,serviceName=mymaster</c>. StackExchange.Redis then
/// asks the sentinels for the primary and follows a failover by itself (store, doorbell and SignalR
/// backplane alike).
/// </para>
/// </summary>
public sealed class RedisOptions
{
    /// <summary>
    /// A StackExchange.Redis connection string: <c>NoteSync:Redis</c>, or <c>NoteSync:Redis:Configuration</c>.
    /// Required with <c>Store=redis</c>; giving both with different values fails at start-up.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Start even when Redis could lose acknowledged writes (AOF off, or an eviction policy other than
    /// <c>noeviction</c>): <c>NoteSync:Redis:AllowVolatile</c>. The default is false: the node refuses to start.
    /// </summary>
    public bool AllowVolatile { get; set; }

    /// <summary>
    /// How many replicas must hold a push before it is acknowledged: <c>NoteSync:Redis:MinReplicas</c>.
    /// The default, 0, acks once the primary has it (and fsynced it, with <c>appendfsync always</c>).
    /// Above 0, each push runs <c>WAIT &lt;MinReplicas&gt; &lt;ReplicaWaitTimeoutMs&gt;</c> after its merge
    /// script, on the same connection; when fewer replicas confirm in time the push gets the
    /// <c>unavailable</c> error and never an ack (the write may still be on the primary: the device
    /// re-sends it, which is harmless). So a failover that promotes a replica cannot lose an
    /// acknowledged push. At start-up a primary with fewer connected replicas is logged as a warning,
    /// not refused: replicas may attach later.
    /// </summary>
    [Range(0, 1000)]
    public int MinReplicas { get; set; }

    /// <summary>
    /// With <see cref="MinReplicas"/> above 0: how long, in milliseconds, a push waits for its replicas
    /// (<c>WAIT</c>'s timeout) before it is answered <c>unavailable</c>:
    /// <c>NoteSync:Redis:ReplicaWaitTimeoutMs</c>. The default is 2000. While a <c>WAIT</c> waits, the node's
    /// other commands to the primary queue behind it (one connection), so keep it well below the
    /// connection's async timeout (5 s unless the connection string says otherwise).
    /// </summary>
    [Range(1, 60_000)]
    public int ReplicaWaitTimeoutMs { get; set; } = 2000;
}
