using NoteSync.Server.Auth;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Health;
using NoteSync.Server.Hubs;
using NoteSync.Server.Limits;
using NoteSync.Server.Observability;
using NoteSync.Server.Stores;

namespace NoteSync.Server;

/// <summary>
/// The server as one web application: configuration, services, middleware and endpoints. The process's
/// entry point runs one; the functional tests host several in their own process, each on its own port,
/// data directory, configuration, logs and meters, so nothing here may live outside the application's
/// container (no static caches, no process-wide settings, no environment read outside configuration).
/// </summary>
public static class NoteSyncApp
{
    /// <summary>
    /// Builds the application from <paramref name="args"/> (and appsettings.json beside the binary and the
    /// environment, as any ASP.NET Core host), after <paramref name="configure"/> had its say on the
    /// builder (more configuration, other log providers, listening addresses), and opens the store, so a
    /// bad data directory fails here rather than at the first request.
    /// </summary>
    /// <exception cref="Stores.Sqlite.DataDirectoryLockedException">Another server holds the data directory.</exception>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json is copied beside the binary, so the server reads the same file from any working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);

        builder.Logging.AddTokenScrubbing();
        builder.Services.AddNoteSync();
        builder.Services.AddNoteSyncAuth(builder.Configuration);
        builder.Services.AddNoteSyncLimits();
        builder.Services.AddNoteSyncCors();
        builder.Services.AddNoteSyncForwardedHeaders();
        builder.Services.AddNoteSyncMetricsExport(builder.Configuration);
        builder.Services.AddNoteSyncHealthChecks();

        var app = builder.Build();
        try
        {
            app.Services.GetRequiredService<ISyncStore>();
        }
        catch
        {
            // The container owns what was made before the failure (a Redis connection, a log file handle).
            ((IDisposable)app).Dispose();
            throw;
        }

        app.UseNoteSyncForwardedHeaders();
        app.UseWebSockets();
        app.UseNoteSyncBrowserAccess();

        // After the Origin check, so a foreign upgrade is refused on every path, the page's included.
        app.UseNoteSyncWebPage();
        app.UseNoteSyncAuth();
        app.UseNoteSyncUpgradeLimits();
        app.MapNoteSyncHealthChecks();
        app.MapNoteSyncMetrics(app.Configuration);
        app.MapWebSocketSync();
        app.MapHttpSync();
        app.MapHttpHistory();
        app.MapHttpRender();
        app.MapSyncHub();
        return app;
    }
}
