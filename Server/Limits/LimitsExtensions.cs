using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Hubs;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;
using StackExchange.Redis;

namespace NoteSync.Server.Limits;

/// <summary>Wires <c>NoteSync:Limits:*</c> that live outside the sync handlers: rates, the handshake timeout, pings and idle timeouts.</summary>
internal static class LimitsExtensions
{
    public static IServiceCollection AddNoteSyncLimits(this IServiceCollection services)
    {
        // With Store=redis, upgrades are counted service-wide on the node's Redis connection.
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<NoteSyncOptions>>();
            var serviceWide = options.Value.Store == StoreKinds.Redis
                ? new RedisUpgradeCounter(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<ILogger<RedisUpgradeCounter>>())
                : null;
            return new SyncRateLimits(options, serviceWide);
        });

        services.AddSingleton<PullBudget>();
        services.AddSingleton<SpaceReadGate>();

        // A client that takes longer than this to send its request headers (a slowloris) is closed.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<NoteSyncOptions>>((kestrel, ns) =>
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(ns.Value.Limits.HandshakeTimeoutSeconds));

        // The server pings every WebSocket (raw and SignalR's) and drops one that does not answer in time.
        services.AddOptions<WebSocketOptions>().Configure<IOptions<NoteSyncOptions>>((ws, ns) =>
        {
            ws.KeepAliveInterval = TimeSpan.FromSeconds(ns.Value.Limits.PingIntervalSeconds);
            ws.KeepAliveTimeout = TimeSpan.FromSeconds(ns.Value.Limits.IdleTimeoutSeconds);
        });

        // The same three limits on the hub, in SignalR's own terms (its pings are hub messages, on every
        // transport): a connection that sends no handshake within HandshakeTimeoutSeconds, or no message
        // (its client's pings included) for IdleTimeoutSeconds, is closed; the server pings every
        // PingIntervalSeconds so that clients' server timeouts do not fire. SignalR starts a connection's
        // idle timeout at its first ping (older clients never ping), so a client that never pings is held
        // to the WebSocket pings above only. The defaults (10, 30, 15 s) are SignalR's own but for the
        // handshake (15 s there). PostConfigure: SignalR's setup copies its global hub options onto the
        // hub's, whenever that runs.
        services.AddOptions<HubOptions<SyncHub>>().PostConfigure<IOptions<NoteSyncOptions>>((hub, ns) =>
        {
            hub.HandshakeTimeout = TimeSpan.FromSeconds(ns.Value.Limits.HandshakeTimeoutSeconds);
            hub.ClientTimeoutInterval = TimeSpan.FromSeconds(ns.Value.Limits.IdleTimeoutSeconds);
            hub.KeepAliveInterval = TimeSpan.FromSeconds(ns.Value.Limits.PingIntervalSeconds);
        });
        return services;
    }

    /// <summary>
    /// Counts every new sync connection (a WebSocket upgrade of <c>/ws/sync</c>, a hub negotiation, or a
    /// hub WebSocket that skipped it) against <c>UpgradesPerMinute</c> of its token, or with auth off
    /// <c>UpgradesPerMinutePerAddress</c> of its address: beyond, HTTP 429 with <c>Retry-After</c>. Runs
    /// after authentication, so a token's budget is spent only by that token.
    /// </summary>
    public static WebApplication UseNoteSyncUpgradeLimits(this WebApplication app)
    {
        var authEnabled = app.Services.GetRequiredService<IOptions<NoteSyncOptions>>().Value.Auth.Enabled;
        var limits = app.Services.GetRequiredService<SyncRateLimits>();
        app.Use(async (context, next) =>
        {
            if (StartsConnection(context) && await limits.TryUpgradeAsync(context, authEnabled) is (false, var retryAfterMs))
            {
                context.Response.Headers.RetryAfter = SyncRateLimits.RetryAfterSeconds(retryAfterMs);
                await ErrorResults.Of(
                    StatusCodes.Status429TooManyRequests,
                    ProtocolError.RateLimited($"too many connections; retry after {retryAfterMs} ms", retryAfterMs, null)).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }

    private static bool StartsConnection(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments(ServerPaths.Hub, out var rest))
        {
            // A hub connection starts with its negotiation, or with its WebSocket when it skipped that
            // (a WebSocket carrying a negotiated id was counted at the negotiation).
            return rest.StartsWithSegments("/negotiate")
                || (context.WebSockets.IsWebSocketRequest && !context.Request.Query.ContainsKey("id"));
        }

        return context.WebSockets.IsWebSocketRequest;
    }
}
