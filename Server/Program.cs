using NoteSync.Server;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Hubs;
using NoteSync.Server.Observability;
using NoteSync.Server.Stores;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json is copied beside the binary, so the server reads the same file from any working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

builder.Services.AddNoteSync();
builder.Services.AddNoteSyncMetricsExport(builder.Configuration);

var app = builder.Build();

// Open the store now, so a bad data directory fails at start-up rather than at the first request.
app.Services.GetRequiredService<ISyncStore>();

app.UseWebSockets();
app.MapHealthEndpoints();
app.MapNoteSyncMetrics(app.Configuration);
app.MapWebSocketSync();
app.MapHttpSync();
app.MapSyncHub();

app.Run();

/// <summary>The entry point, public so functional tests can host it.</summary>
public partial class Program;
