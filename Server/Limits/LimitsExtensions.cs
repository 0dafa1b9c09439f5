using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Hubs;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Limits;

/// <summary>Wires <c>NoteSync:Limits:*</c> that live outside the sync handlers: rates, the handshake timeout and WebSocket pings.</summary>
internal static class LimitsExtensions
{
    public static IServiceCollection AddNoteSyncLimits(this IServiceCollection services)
    {
        services.AddSingleton<SyncRateLimits>();

        // A client that takes longer than this to send its request headers (a slowloris) is closed.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<NoteSyncOptions>>((kestrel, ns) =>
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(ns.Value.Limits.HandshakeTimeoutSeconds));

        // The server pings every WebSocket (raw and SignalR's) and drops one that does not answer in time.
        services.AddOptions<WebSocketOptions>().Configure<IOptions<NoteSyncOptions>>((ws, ns) =>
        {
            ws.KeepAliveInterval = TimeSpan.FromSeconds(ns.Value.Limits.PingIntervalSeconds);
            ws.KeepAliveTimeout = TimeSpan.FromSeconds(ns.Value.Limits.IdleTimeoutSeconds);
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
            if (StartsConnection(context) && !limits.TryUpgrade(context, authEnabled, out var retryAfterMs))
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
        if (path.StartsWithSegments(SyncHubEndpoints.Path, out var rest))
        {
            // A hub connection starts with its negotiation, or with its WebSocket when it skipped that
            // (a WebSocket carrying a negotiated id was counted at the negotiation).
            return rest.StartsWithSegments("/negotiate")
                || (context.WebSockets.IsWebSocketRequest && !context.Request.Query.ContainsKey("id"));
        }

        return context.WebSockets.IsWebSocketRequest;
    }
}
