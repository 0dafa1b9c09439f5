using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Limits;

/// <summary>
/// The rate limits of <c>NoteSync:Limits:*</c>: pushes per device (checked by each transport for every
/// frame it reads, since HTTP rate limiting never sees WebSocket frames) and upgrades per token or address.
/// </summary>
internal sealed class SyncRateLimits
{
    private readonly RateLimitTable _pushes;
    private readonly RateLimitTable _upgradesPerToken;
    private readonly RateLimitTable _upgradesPerAddress;

    public SyncRateLimits(IOptions<NoteSyncOptions> options)
    {
        var limits = options.Value.Limits;
        _pushes = new RateLimitTable(limits.PushBurst, limits.PushesPerSecond);
        _upgradesPerToken = new RateLimitTable(limits.UpgradesPerMinute, limits.UpgradesPerMinute / 60.0);
        _upgradesPerAddress = new RateLimitTable(limits.UpgradesPerMinutePerAddress, limits.UpgradesPerMinutePerAddress / 60.0);
    }

    /// <summary>
    /// Takes one push of the device; null when it may go ahead, else the <c>rate_limited</c> frame
    /// (with its retry-after) that answers it.
    /// </summary>
    public ErrorFrame? TryPush(string space, string deviceId, string? requestId)
    {
        return _pushes.TryTake(string.Concat(space, "\n", deviceId), out var retryAfterMs)
            ? null
            : ProtocolError.RateLimited($"too many pushes from this device; retry after {retryAfterMs} ms", retryAfterMs, requestId);
    }

    /// <summary>Takes one upgrade of <paramref name="context"/>'s token (auth on) or address (auth off); false with the wait when over.</summary>
    public bool TryUpgrade(HttpContext context, bool authEnabled, out int retryAfterMs)
    {
        if (authEnabled)
        {
            // Unauthenticated requests are refused (401) anyway; only a valid token has a budget to spend.
            var token = BearerToken(context.Request);
            if (token is null || context.User.Identity?.IsAuthenticated != true)
            {
                retryAfterMs = 0;
                return true;
            }

            // Keyed by a hash: the table holds no credential.
            return _upgradesPerToken.TryTake(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))), out retryAfterMs);
        }

        var address = context.Connection.RemoteIpAddress?.ToString() ?? "";
        return _upgradesPerAddress.TryTake(address, out retryAfterMs);
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        var query = request.Query["access_token"];
        return query.Count == 1 ? query[0] : null;
    }

    /// <summary>The <c>Retry-After</c> header value (whole seconds, at least 1) for a wait in milliseconds.</summary>
    public static string RetryAfterSeconds(int retryAfterMs) =>
        Math.Max(1, (int)Math.Ceiling(retryAfterMs / 1000.0)).ToString(CultureInfo.InvariantCulture);
}
