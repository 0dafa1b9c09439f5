using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Auth;

/// <summary>
/// What browsers on other origins may do: open a WebSocket only from <c>NoteSync:AllowedOrigins</c>
/// (403 otherwise), and read <c>POST /sync</c> and the hub's negotiate only from the same list (CORS).
/// Both hold whether auth is on or off; the token is required as well when it is on.
/// </summary>
internal static class BrowserAccessExtensions
{
    private const string CorsPolicy = "NoteSync";

    public static IServiceCollection AddNoteSyncCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<NoteSyncOptions>>((cors, ns) =>
            cors.AddPolicy(CorsPolicy, policy => policy
                .WithOrigins([.. ns.Value.AllowedOrigins.Select(OriginPolicy.Normalize).OfType<string>()])
                .WithMethods(HttpMethods.Get, HttpMethods.Post)
                .AllowAnyHeader()

                // The SignalR JavaScript client negotiates with credentials by default.
                .AllowCredentials()));
        return services;
    }

    /// <summary>
    /// The <c>Origin</c> check on every WebSocket upgrade (whatever the path, so no spelling of a sync
    /// path gets around it), and CORS on the sync paths; before authentication.
    /// </summary>
    public static WebApplication UseNoteSyncBrowserAccess(this WebApplication app)
    {
        var allowed = app.Services.GetRequiredService<IOptions<NoteSyncOptions>>().Value.AllowedOrigins;
        app.Use(async (context, next) =>
        {
            var origin = context.Request.Headers.Origin.ToString();
            if (context.WebSockets.IsWebSocketRequest && !OriginPolicy.Allows(context.Request, origin, allowed))
            {
                await ErrorResults.Of(StatusCodes.Status403Forbidden, new ProtocolError(
                    ErrorCodes.Forbidden, $"a WebSocket from origin '{origin}' is not allowed; the server accepts its own origin and NoteSync:AllowedOrigins")).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        app.UseWhen(IsSyncPath, branch => branch.UseCors(CorsPolicy));
        return app;
    }

    private static bool IsSyncPath(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/ws/sync", StringComparison.OrdinalIgnoreCase)
        || context.Request.Path.StartsWithSegments("/sync", StringComparison.OrdinalIgnoreCase)
        || context.Request.Path.StartsWithSegments("/hubs/sync", StringComparison.OrdinalIgnoreCase);
}
