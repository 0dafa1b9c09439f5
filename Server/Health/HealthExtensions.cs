using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Stores;

namespace NoteSync.Server.Health;

/// <summary>
/// <c>GET /healthz</c> (readiness, the checks tagged <see cref="HealthTags.Ready"/>): 200 when this node can
/// serve, 503 with the problem when it cannot (its store does not answer, or its disk is full so it cannot
/// take pushes). <c>GET /healthz/live</c> (liveness, the checks tagged <see cref="HealthTags.Live"/>): 200
/// while the process runs, so an orchestrator restarts a hung node but not one that only waits for its
/// store (or its disk) to come back.
/// </summary>
internal static class HealthExtensions
{
    private static readonly byte[] Live = Encoding.ASCII.GetBytes("live");

    private static readonly byte[] NotLive = Encoding.ASCII.GetBytes("unhealthy");

    public static IServiceCollection AddNoteSyncHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<StoreHealthCheck>(StoreHealthCheck.Name, HealthStatus.Unhealthy, [HealthTags.Ready]);
        return services;
    }

    public static IEndpointRouteBuilder MapNoteSyncHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        // GET only, as the probes always were: anything else is 405.
        var get = new HttpMethodMetadata([HttpMethods.Get]);
        endpoints.MapHealthChecks(ServerPaths.HealthLive, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Live),
            ResponseWriter = WriteLivenessAsync,
        }).WithMetadata(get);
        endpoints.MapHealthChecks(ServerPaths.Health, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Ready),
            ResponseWriter = WriteReadinessAsync,
        }).WithMetadata(get);
        return endpoints;
    }

    private static Task WriteLivenessAsync(HttpContext context, HealthReport report)
    {
        var body = report.Status == HealthStatus.Healthy ? Live : NotLive;
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var body = new ReadinessBody("healthy");
        if (report.Status != HealthStatus.Healthy)
        {
            var failed = report.Entries.Values.First(entry => entry.Status != HealthStatus.Healthy);

            // A check that threw has the exception's message as its description: not for anyone who can
            // reach /healthz (it may name a path or a host), and the health-check service logged it.
            body = failed.Exception is null
                ? new ReadinessBody("unhealthy", failed.Data.GetValueOrDefault(StoreHealthCheck.ProblemKey) as string, failed.Description)
                : new ReadinessBody("unhealthy", StoreHealth.NotAnswering.Problem, StoreHealth.NotAnswering.Reason);
        }

        return context.Response.WriteAsJsonAsync(body, HealthJsonContext.Default.ReadinessBody, cancellationToken: context.RequestAborted);
    }
}
