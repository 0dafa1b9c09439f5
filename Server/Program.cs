using System.Globalization;
using NoteSync.Server;
using NoteSync.Server.Auth;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Hubs;
using NoteSync.Server.Limits;
using NoteSync.Server.Observability;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Protocol;

// ICU is loaded for Unicode normalization only (NoteSync.Server.csproj): numbers, dates and messages
// come out the same whatever the host's locale.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

if (args is [TokenCommand.Name, .. var tokenArgs])
{
    return TokenCommand.Run(tokenArgs, Console.Out, Console.Error);
}

if (args is [DataDirectoryCommands.Backup or DataDirectoryCommands.RenewEpoch, .. var storeArgs])
{
    return DataDirectoryCommands.Run(args[0], storeArgs, Console.Out, Console.Error);
}

if (!KeyCharacters.CanCheckNormalization)
{
    // Without ICU every key would pass as NFC, and keys that differ only invisibly would be let in.
    Console.Error.WriteLine("NoteSync did not start: keys are checked for Unicode normalization form C (docs/protocol.md §1), which needs ICU: install libicu, and unset DOTNET_SYSTEM_GLOBALIZATION_INVARIANT");
    return 1;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json is copied beside the binary, so the server reads the same file from any working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

builder.Logging.AddTokenScrubbing();
builder.Services.AddNoteSync();
builder.Services.AddNoteSyncAuth(builder.Configuration);
builder.Services.AddNoteSyncLimits();
builder.Services.AddNoteSyncCors();
builder.Services.AddNoteSyncMetricsExport(builder.Configuration);

var app = builder.Build();

// Open the store now, so a bad data directory fails at start-up rather than at the first request.
try
{
    app.Services.GetRequiredService<ISyncStore>();
}
catch (DataDirectoryLockedException ex)
{
    // An operator's mistake, not a crash: one line that says what to do, and an exit code a script
    // or service manager can tell apart, rather than an unhandled exception's stack trace.
    Console.Error.WriteLine($"NoteSync did not start: {ex.Message}");
    return DataDirectoryLockedException.ExitCode;
}

app.UseWebSockets();
app.UseNoteSyncBrowserAccess();

// After the Origin check, so a foreign upgrade is refused on every path, the page's included.
app.UseNoteSyncWebPage();
app.UseNoteSyncAuth();
app.UseNoteSyncUpgradeLimits();
app.MapHealthEndpoints();
app.MapNoteSyncMetrics(app.Configuration);
app.MapWebSocketSync();
app.MapHttpSync();
app.MapSyncHub();

app.Run();
return 0;

/// <summary>The entry point, public so functional tests can host it.</summary>
public partial class Program;
