namespace NoteSync.Server.Stores;

/// <summary>
/// What a store says of itself for <c>/healthz</c>: healthy, or a <see cref="Problem"/> (a stable code
/// for scripts) with a <see cref="Reason"/> for people. The reason goes to anyone who can reach
/// <c>/healthz</c>, so it names no path, host or secret; the store's log has those.
/// </summary>
internal readonly record struct StoreHealth(string? Problem, string? Reason)
{
    /// <summary><see cref="Problem"/> when the store does not answer (or is shut down).</summary>
    public const string Unavailable = "store_unavailable";

    /// <summary><see cref="Problem"/> when the store answers but cannot write: its disk is full.</summary>
    public const string DiskFull = "disk_full";

    /// <summary><see cref="Problem"/> when the store answers but refuses writes (Redis: MISCONF, OOM, READONLY).</summary>
    public const string WritesRefused = "store_refuses_writes";

    public static StoreHealth Healthy => default;

    public static StoreHealth NotAnswering => new(Unavailable, "the store does not answer");

    public bool IsHealthy => Problem is null;
}
