using System.ComponentModel.DataAnnotations;

namespace NoteSync.Server.Options;

/// <summary>Metrics export: <c>NoteSync:Metrics:*</c>.</summary>
public sealed class MetricsOptions
{
    /// <summary>The configuration key of <see cref="Enabled"/>, read before the container is built.</summary>
    public const string EnabledKey = $"{NoteSyncOptions.Section}:Metrics:Enabled";

    /// <summary>The configuration key of <see cref="OtlpEndpoint"/>, read before the container is built.</summary>
    public const string OtlpEndpointKey = $"{NoteSyncOptions.Section}:Metrics:OtlpEndpoint";

    /// <summary>
    /// Serve the <c>NoteSync</c> meter through OpenTelemetry as Prometheus text on <c>GET /metrics</c>.
    /// The default is false: no exporter runs and <c>/metrics</c> is 404, since the endpoint is unauthenticated.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// An OpenTelemetry collector's OTLP/HTTP base address (<c>http://collector:4318</c>, as in
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): the same meters are pushed to <c>{OtlpEndpoint}/v1/metrics</c>
    /// as protobuf every <see cref="OtlpExportIntervalMs"/>, with or without <see cref="Enabled"/>. The
    /// default, empty, pushes nothing.
    /// </summary>
    [RegularExpression(@"^(https?://[^\s?#]+)?$", ErrorMessage = "NoteSync:Metrics:OtlpEndpoint must be an http(s) address such as http://collector:4318, with no query")]
    public string OtlpEndpoint { get; set; } = string.Empty;

    /// <summary>How often the meters are pushed to <see cref="OtlpEndpoint"/>. The default is 60,000 (a minute).</summary>
    [Range(100, 86_400_000)]
    public int OtlpExportIntervalMs { get; set; } = 60_000;
}
