using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using MetricsOptions = NoteSync.Server.Options.MetricsOptions;

namespace NoteSync.Server.Observability;

/// <summary>
/// The OpenTelemetry pipeline, built only when something exports it: the Prometheus <c>/metrics</c>
/// endpoint (<c>NoteSync:Metrics:Enabled=true</c>) and the OTLP push (<c>NoteSync:Metrics:OtlpEndpoint</c>).
/// </summary>
internal static class ObservabilityExtensions
{
    private const string ServiceName = "notesync";

    /// <summary>
    /// The runtime's meter: GC heap and pauses, thread pool, CPU time. Its names (and those of
    /// <see cref="FrameworkMeters"/>) are the OpenTelemetry semantic conventions, so stock dashboards read them.
    /// </summary>
    private const string RuntimeMeter = "System.Runtime";

    // The exporter's options are named, so nothing else's OTLP or reader settings reach it.
    private const string OtlpExporterName = "notesync";

    /// <summary>
    /// ASP.NET Core's own meters, exported beside NoteSync's: Kestrel connections and TLS handshakes,
    /// request durations, SignalR connections, route matching.
    /// </summary>
    private static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
    ];

    /// <summary>
    /// Whether metrics are exported. Read from configuration directly: whether to build the pipeline
    /// is decided while services are registered, before options can be resolved.
    /// </summary>
    public static bool MetricsEnabled(this IConfiguration configuration) =>
        configuration.GetValue<bool>(MetricsOptions.EnabledKey);

    /// <summary>Whether the meters are pushed over OTLP; read from configuration directly, as <see cref="MetricsEnabled"/>.</summary>
    private static bool OtlpEnabled(this IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[MetricsOptions.OtlpEndpointKey]);

    public static IServiceCollection AddNoteSyncMetricsExport(this IServiceCollection services, IConfiguration configuration)
    {
        var prometheus = configuration.MetricsEnabled();
        var otlp = configuration.OtlpEnabled();
        if (!prometheus && !otlp)
        {
            return services;
        }

        // The meters are enabled as rules of this container's metrics system rather than by name on the
        // exporter (AddMeter), which would listen to every meter of that name in the process: with two
        // servers in one process (the functional tests host several) each would export the other's
        // counts. MeterScope.Local is the meters made by this container's IMeterFactory: NoteSync's,
        // and ASP.NET Core's own. The runtime's meter is one per process, and so is what it measures.
        services.AddMetrics(metrics =>
        {
            metrics.EnableMetrics(NoteSyncMetrics.MeterName, instrumentName: null, listenerName: null, MeterScope.Local);
            foreach (var meter in FrameworkMeters)
            {
                metrics.EnableMetrics(meter, instrumentName: null, listenerName: null, MeterScope.Local);
            }

            metrics.EnableMetrics(RuntimeMeter, instrumentName: null, listenerName: null, MeterScope.Global);
        });

        // The service name groups the nodes; OpenTelemetry gives each process its own instance id.
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics =>
            {
                if (prometheus)
                {
                    // No cache: every scrape sees the counters as they are (the exporter caches for 300 ms by default).
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter(OtlpExporterName, configure: null);
                }
            });
        if (otlp)
        {
            // From the validated options, when the exporter is built (the container's first start).
            services.AddOptions<OtlpExporterOptions>(OtlpExporterName).Configure<IOptions<NoteSyncOptions>>((exporter, ns) =>
            {
                exporter.Protocol = OtlpExportProtocol.HttpProtobuf;

                // Set in code, the endpoint is used as given: the signal's path is added here, as the
                // OTEL_EXPORTER_OTLP_ENDPOINT convention does.
                exporter.Endpoint = new Uri(ns.Value.Metrics.OtlpEndpoint.TrimEnd('/') + "/v1/metrics");
            });
            services.AddOptions<MetricReaderOptions>(OtlpExporterName).Configure<IOptions<NoteSyncOptions>>((reader, ns) =>
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = ns.Value.Metrics.OtlpExportIntervalMs);
        }

        return services;
    }

    public static IEndpointRouteBuilder MapNoteSyncMetrics(this IEndpointRouteBuilder endpoints, IConfiguration configuration)
    {
        if (configuration.MetricsEnabled())
        {
            endpoints.MapPrometheusScrapingEndpoint(ServerPaths.Metrics);
        }

        return endpoints;
    }
}
