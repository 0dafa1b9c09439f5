using NoteSync.Server.Endpoints;
using NoteSync.Server.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace NoteSync.Server.Observability;

/// <summary>The OpenTelemetry pipeline and the Prometheus <c>/metrics</c> endpoint, both only with <c>NoteSync:Metrics:Enabled=true</c>.</summary>
internal static class ObservabilityExtensions
{
    private const string ServiceName = "notesync";

    /// <summary>
    /// The runtime's and ASP.NET Core's own meters, exported beside NoteSync's: GC heap and pauses, thread
    /// pool, Kestrel connections and TLS handshakes, request durations, SignalR connections. Their names
    /// are the OpenTelemetry semantic conventions, so stock dashboards read them.
    /// </summary>
    private static readonly string[] FrameworkMeters =
    [
        "System.Runtime",
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

        // The service name groups the nodes; OpenTelemetry gives each process its own instance id.
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics => metrics
            .AddMeter(NoteSyncMetrics.MeterName)
            .AddMeter(FrameworkMeters)

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
