using Microsoft.Extensions.Diagnostics.Metrics;
using NoteSync.Server.Endpoints;
using MetricsOptions = NoteSync.Server.Options.MetricsOptions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace NoteSync.Server.Observability;

/// <summary>The OpenTelemetry pipeline and the Prometheus <c>/metrics</c> endpoint, both only with <c>NoteSync:Metrics:Enabled=true</c>.</summary>
internal static class ObservabilityExtensions
{
    private const string ServiceName = "notesync";

    /// <summary>
    /// The runtime's meter: GC heap and pauses, thread pool, CPU time. Its names (and those of
    /// <see cref="FrameworkMeters"/>) are the OpenTelemetry semantic conventions, so stock dashboards read them.
    /// </summary>
    private const string RuntimeMeter = "System.Runtime";

    /// <summary>
    /// ASP.NET Core's own meters, exported beside NoteSync's: Kestrel connections and TLS handshakes,
    /// request durations, SignalR connections.
    /// </summary>
    private static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
    ];

    /// <summary>
    /// Whether metrics are exported. Read from configuration directly: whether to build the pipeline
    /// is decided while services are registered, before options can be resolved.
    /// </summary>
    public static bool MetricsEnabled(this IConfiguration configuration) =>
        configuration.GetValue<bool>(MetricsOptions.EnabledKey);

    public static IServiceCollection AddNoteSyncMetricsExport(this IServiceCollection services, IConfiguration configuration)
    {
        if (!configuration.MetricsEnabled())
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
            .WithMetrics(metrics => metrics

            // No cache: every scrape sees the counters as they are (the exporter caches for 300 ms by default).
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
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
