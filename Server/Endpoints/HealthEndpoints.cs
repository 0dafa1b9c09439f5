using NoteSync.Server.Stores;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// <c>GET /healthz</c> (readiness): 200 when this node can serve (its store answers), 503 when it cannot.
/// <c>GET /healthz/live</c> (liveness): always 200 while the process runs, so an orchestrator restarts a
/// hung node but not one that only waits for its store to come back.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan StoreProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz/live", () => Results.Text("live", "text/plain"));
        endpoints.MapGet("/healthz", async (ISyncStore store, CancellationToken cancellationToken) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StoreProbeTimeout);
            bool healthy;
            try
            {
                healthy = await store.IsHealthyAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                healthy = false;
            }

            return healthy
                ? Results.Text("healthy", "text/plain")
                : Results.Text("unhealthy: the store does not answer", "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
