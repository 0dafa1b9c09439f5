using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Auth;

/// <summary>
/// What browser pages may do: a request carrying an <c>Origin</c> (every WebSocket upgrade, and any
/// request to a sync path) passes only from an origin <see cref="OriginPolicy"/> allows (403 otherwise),
/// and only <c>NoteSync:AllowedOrigins</c> may read <c>POST /sync</c> and the hub's negotiate across
/// origins (CORS). Both hold whether auth is on or off; the token is required as well when it is on.
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
    /// path gets around it) and on every request to a sync path (a same-origin page sends no CORS
    /// preflight, and one on a rebinding name is same-origin), then CORS on the sync paths; before
    /// authentication.
    /// </summary>
    public static WebApplication UseNoteSyncBrowserAccess(this WebApplication app)
    {
        var policy = new OriginPolicy(app.Services.GetRequiredService<IOptions<NoteSyncOptions>>().Value);
        app.Use(async (context, next) =>
        {
            var origin = context.Request.Headers.Origin.ToString();
            var webSocket = context.WebSockets.IsWebSocketRequest;
            if ((webSocket || IsSyncPath(context)) && policy.Refusal(context.Request, origin) is { } reason)
            {
                var what = webSocket ? "a WebSocket" : "a request";
                await ErrorResults.Of(StatusCodes.Status403Forbidden, new ProtocolError(
                    ErrorCodes.Forbidden, $"{what} from origin '{origin}' is not allowed; {reason}")).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        app.UseWhen(IsSyncPath, branch => branch.UseCors(CorsPolicy));
        return app;
    }

    private static bool IsSyncPath(HttpContext context) => ServerPaths.IsSync(context.Request.Path);
}
