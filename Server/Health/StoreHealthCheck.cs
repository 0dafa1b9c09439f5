using Microsoft.Extensions.Diagnostics.HealthChecks;
using NoteSync.Server.Stores;

namespace NoteSync.Server.Health;

/// <summary>
/// Readiness: the store answers within <see cref="ProbeTimeout"/> and can take writes. Unhealthy carries the
/// store's <see cref="StoreHealth.Problem"/> under <see cref="ProblemKey"/> and its reason as the description.
/// </summary>
internal sealed class StoreHealthCheck(ISyncStore store) : IHealthCheck
{
    public const string Name = "store";

    public const string ProblemKey = "problem";

    // Our own bound rather than the registration's timeout: on that one the health-check service reports
    // its own message, and the answer must still say store_unavailable.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
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
            ? HealthCheckResult.Healthy()
            : new HealthCheckResult(context.Registration.FailureStatus, health.Reason, data: new Dictionary<string, object> { [ProblemKey] = health.Problem! });
    }
}
