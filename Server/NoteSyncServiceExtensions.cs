using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NoteSync.Server.Fanout;
using NoteSync.Server.Hubs;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server;

/// <summary>Registers every NoteSync service: options, store, doorbell, sync service and the SignalR hub.</summary>
internal static class NoteSyncServiceExtensions
{
    public static IServiceCollection AddNoteSync(this IServiceCollection services)
    {
        services.AddOptions<NoteSyncOptions>().BindConfiguration(NoteSyncOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NoteSyncOptions>, NoteSyncOptionsValidator>();

        services.AddSingleton<ISyncStore>(CreateStore);
        services.AddSingleton<IDoorbell, InProcessDoorbell>();
        services.AddSingleton<RecentChanges>();
        services.AddSingleton<SyncService>();
        services.AddHostedService<WarmUpService>();

        services.AddSignalR(o =>
            {
                // SignalR's own limit is matched to ours so both transports refuse the same sizes.
                o.MaximumReceiveMessageSize = null;
                o.EnableDetailedErrors = false;
            })
            .AddJsonProtocol(o => HubJson.Configure(o.PayloadSerializerOptions))
            .AddMessagePackProtocol();
        services.AddOptions<HubOptions<SyncHub>>().Configure<IOptions<NoteSyncOptions>>((hub, ns) =>
            hub.MaximumReceiveMessageSize = ns.Value.Limits.MaxMessageBytes);
        return services;
    }

    private static ISyncStore CreateStore(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<NoteSyncOptions>>().Value;
        return options.Store switch
        {
            StoreKinds.Sqlite => new SqliteSyncStore(
                Path.GetFullPath(options.DataDir),
                services.GetRequiredService<ILoggerFactory>().CreateLogger<SqliteSyncStore>()),
            _ => throw new OptionsValidationException(
                NoteSyncOptions.Section, typeof(NoteSyncOptions),
                [$"NoteSync:Store={options.Store} is not available in this build; use '{StoreKinds.Sqlite}'"]),
        };
    }
}
