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
/// Pushes are counted per node, in memory (a Redis round trip per push would cost more than the push's
/// own); upgrades are counted service-wide in Redis with <c>Store=redis</c> (<see cref="RedisUpgradeCounter"/>),
/// else per node.
/// </summary>
internal sealed class SyncRateLimits
{
    private readonly RateLimitTable _pushes;
    private readonly RateLimitTable _pushesPerToken;
    private readonly RateLimitTable _upgradesPerToken;
    private readonly RateLimitTable _upgradesPerAddress;
    private readonly RedisUpgradeCounter? _serviceWide;
    private readonly int _upgradesPerMinute;
    private readonly int _upgradesPerMinutePerAddress;

    /// <param name="options">The limits.</param>
    /// <param name="serviceWide">The Redis counter for upgrades (with <c>Store=redis</c>), or null to count them on this node.</param>
    public SyncRateLimits(IOptions<NoteSyncOptions> options, RedisUpgradeCounter? serviceWide = null)
    {
        var limits = options.Value.Limits;
        _pushes = new RateLimitTable(limits.PushBurst, limits.PushesPerSecond);
        _pushesPerToken = new RateLimitTable(limits.PushBurstPerToken, limits.PushesPerSecondPerToken);
        _upgradesPerToken = new RateLimitTable(limits.UpgradesPerMinute, limits.UpgradesPerMinute / 60.0);
        _upgradesPerAddress = new RateLimitTable(limits.UpgradesPerMinutePerAddress, limits.UpgradesPerMinutePerAddress / 60.0);
        _upgradesPerMinute = limits.UpgradesPerMinute;
        _upgradesPerMinutePerAddress = limits.UpgradesPerMinutePerAddress;
        _serviceWide = serviceWide;
    }

    /// <summary>
    /// Takes one push of the device, and of its token (<paramref name="tokenKey"/>, null with auth off);
    /// null when it may go ahead, else the <c>rate_limited</c> frame (with its retry-after) that answers it.
    /// </summary>
    public ErrorFrame? TryPush(string space, string deviceId, string? tokenKey, string? requestId)
    {
        if (!_pushes.TryTake(string.Concat(space, "\n", deviceId), out var retryAfterMs))
        {
            return ProtocolError.RateLimited($"too many pushes from this device; retry after {retryAfterMs} ms", retryAfterMs, requestId);
        }

        // A token that may name any device id would otherwise get a device's budget per id it makes up.
        return tokenKey is null || _pushesPerToken.TryTake(tokenKey, out retryAfterMs)
            ? null
            : ProtocolError.RateLimited($"too many pushes with this token; retry after {retryAfterMs} ms", retryAfterMs, requestId);
    }

    /// <summary>The key a request's bearer token is counted under (a SHA-256, so no table holds a credential), or null without one.</summary>
    public static string? TokenKeyOf(HttpRequest request) =>
        BearerToken(request) is { } token ? "t:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))) : null;

    /// <summary>
    /// Takes one upgrade of <paramref name="context"/>'s token (auth on) or address (auth off): whether
    /// it may go ahead, and when not, the wait. Service-wide when Redis counts (falling back to this
    /// node's count while Redis cannot be asked), else on this node.
    /// </summary>
    public async ValueTask<(bool Allowed, int RetryAfterMs)> TryUpgradeAsync(HttpContext context, bool authEnabled)
    {
        string key;
        RateLimitTable local;
        int limit;
        if (authEnabled)
        {
            // Unauthenticated requests are refused (401) anyway; only a valid token has a budget to spend.
            var tokenKey = TokenKeyOf(context.Request);
            if (tokenKey is null || context.User.Identity?.IsAuthenticated != true)
            {
                return (true, 0);
            }

            key = tokenKey;
            local = _upgradesPerToken;
            limit = _upgradesPerMinute;
        }
        else
        {
            key = "a:" + (context.Connection.RemoteIpAddress?.ToString() ?? "");
            local = _upgradesPerAddress;
            limit = _upgradesPerMinutePerAddress;
        }

        if (_serviceWide is not null && await _serviceWide.TryTakeAsync(key, limit) is { } counted)
        {
            return counted;
        }

        var allowed = local.TryTake(key, out var retryAfterMs);
        return (allowed, retryAfterMs);
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
