using NoteSync.Server.Stores;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// <c>GET /healthz</c> (readiness): 200 when this node can serve, 503 with the problem when it cannot
/// (its store does not answer, or its disk is full so it cannot take pushes).
/// <c>GET /healthz/live</c> (liveness): always 200 while the process runs, so an orchestrator restarts a
/// hung node but not one that only waits for its store (or its disk) to come back.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan StoreProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ServerPaths.HealthLive, () => Results.Text("live", "text/plain"));
        endpoints.MapGet(ServerPaths.Health, async (ISyncStore store, CancellationToken cancellationToken) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StoreProbeTimeout);
            StoreHealth health;
            try
            {
                health = await store.CheckHealthAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                health = StoreHealth.NotAnswering;
            }

            return health.IsHealthy
                ? Results.Json(new HealthReport("healthy"), HealthJsonContext.Default.HealthReport)
                : Results.Json(new HealthReport("unhealthy", health.Problem, health.Reason), HealthJsonContext.Default.HealthReport, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
