using Microsoft.AspNetCore.Http.Connections;
using NoteSync.Server.Endpoints;

namespace NoteSync.Server.Hubs;

/// <summary>Maps the SignalR hub and refuses a connection without a valid device id (or, with auth, token) before it is upgraded (<see cref="PushIntake"/>, step 1).</summary>
internal static class SyncHubEndpoints
{
    public static WebApplication MapSyncHub(this WebApplication app)
    {
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments(ServerPaths.Hub),
            branch => branch.Use(async (context, next) =>
            {
                if (PushIntake.Identify(context, out var error) is null)
                {
                    await ErrorResults.Refuse(context, error!.Value).ExecuteAsync(context);
                    return;
                }

                await next(context);
            }));
        app.MapHub<SyncHub>(ServerPaths.Hub, o =>
        {
            o.Transports = HttpTransportType.WebSockets | HttpTransportType.LongPolling | HttpTransportType.ServerSentEvents;

            // A backstop to the hub's own expiry timer (SyncHub): SignalR closes a connection whose
            // authentication expired on its once-a-second scan.
            o.CloseOnAuthenticationExpiration = true;
        });
        return app;
    }
}
