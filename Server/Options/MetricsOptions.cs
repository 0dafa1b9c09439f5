namespace NoteSync.Server.Options;

/// <summary>Metrics export: <c>NoteSync:Metrics:*</c>.</summary>
public sealed class MetricsOptions
{
    /// <summary>The configuration key of <see cref="Enabled"/>, read before the container is built.</summary>
    public const string EnabledKey = $"{NoteSyncOptions.Section}:Metrics:Enabled";

    /// <summary>
    /// Serve the <c>NoteSync</c> meter through OpenTelemetry as Prometheus text on <c>GET /metrics</c>.
    /// The default is false: no exporter runs and <c>/metrics</c> is 404, since the endpoint is unauthenticated.
    /// </summary>
    public bool Enabled { get; set; }
}
