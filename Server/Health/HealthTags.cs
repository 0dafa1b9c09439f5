namespace NoteSync.Server.Health;

/// <summary>The tags that sort health checks into the two probes (docs/operations.md, Health checks).</summary>
internal static class HealthTags
{
    /// <summary>Checked by <c>/healthz</c>: whether this node can serve now; a failure takes it out of rotation.</summary>
    public const string Ready = "ready";

    /// <summary>
    /// Checked by <c>/healthz/live</c>: whether this process must be restarted. No check carries it today:
    /// a process that answers HTTP is alive, and nothing that waits on the store is cured by a restart.
    /// </summary>
    public const string Live = "live";
}
