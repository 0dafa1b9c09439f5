namespace NoteSync.Server.Options;

/// <summary>
/// The Redis store's settings, for <c>NoteSync:Store=redis</c>. <c>NoteSync:Redis</c> itself is the
/// connection string (CONTRACT §7: <c>NoteSync__Redis=127.0.0.1:6379</c>), and the section may carry
/// children beside it (<c>NoteSync__Redis__AllowVolatile=true</c>); .NET configuration allows both on one
/// key. In a JSON file, where a key cannot have both, write the string as <c>Configuration</c>:
/// <c>"Redis": { "Configuration": "127.0.0.1:6379", "AllowVolatile": false }</c>.
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
}
