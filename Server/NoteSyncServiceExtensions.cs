using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NoteSync.Server.Fanout;
using NoteSync.Server.Hubs;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Server.Stores.Sqlite;
using StackExchange.Redis;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server;

/// <summary>Registers every NoteSync service: options, store, doorbell, sync service and the SignalR hub.</summary>
internal static class NoteSyncServiceExtensions
{
    public static IServiceCollection AddNoteSync(this IServiceCollection services)
    {
        services.AddOptions<NoteSyncOptions>()
            .BindConfiguration(NoteSyncOptions.Section)
            .Configure<IConfiguration>(ReadRedisConnectionString)
            .ValidateOnStart();
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
            StoreKinds.Redis => CreateRedisStore(options.Redis, services.GetRequiredService<ILoggerFactory>().CreateLogger<RedisSyncStore>()),
            _ => throw new OptionsValidationException(
                NoteSyncOptions.Section, typeof(NoteSyncOptions),
                [$"NoteSync:Store={options.Store} is not available in this build; use '{StoreKinds.Sqlite}' or '{StoreKinds.Redis}'"]),
        };
    }

    /// <summary>
    /// Connects, checks that Redis keeps what it acknowledges, and gives the connection to the store,
    /// which closes it on shutdown. Runs at start-up (Program resolves the store), so every failure
    /// here stops the node before it listens.
    /// </summary>
    private static RedisSyncStore CreateRedisStore(RedisOptions options, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            throw new OptionsValidationException(
                NoteSyncOptions.Section, typeof(NoteSyncOptions),
                ["NoteSync:Store=redis needs NoteSync:Redis, a StackExchange.Redis connection string (e.g. NoteSync__Redis=127.0.0.1:6379)"]);
        }

        var configuration = ConfigurationOptions.Parse(options.Configuration);
        ConnectionMultiplexer redis;
        try
        {
            redis = ConnectionMultiplexer.Connect(configuration);
        }
        catch (RedisConnectionException ex)
        {
            throw new InvalidOperationException(
                $"NoteSync:Redis: could not connect to Redis at {configuration.ToString(includePassword: false)}: {ex.Message}", ex);
        }

        try
        {
            // CONFIG is an admin command to StackExchange.Redis: the check gets its own short-lived
            // admin connection, so the store's long-lived one stays unable to run FLUSHALL and the like.
            var admin = configuration.Clone();
            admin.AllowAdmin = true;
            using (var check = ConnectionMultiplexer.Connect(admin))
            {
                RedisSyncStore.CheckDurability(check, options.AllowVolatile, logger);
            }

            return new RedisSyncStore(redis, logger, ownsConnection: true);
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>NoteSync:Redis</c> is a string (CONTRACT §7) and a section (<c>:AllowVolatile</c>) at once; the
    /// binder fills the section's children, and this takes the string itself.
    /// </summary>
    private static void ReadRedisConnectionString(NoteSyncOptions options, IConfiguration configuration)
    {
        var plain = configuration[$"{NoteSyncOptions.Section}:Redis"];
        if (string.IsNullOrEmpty(plain))
        {
            return;
        }

        if (!string.IsNullOrEmpty(options.Redis.Configuration) && !string.Equals(options.Redis.Configuration, plain, StringComparison.Ordinal))
        {
            throw new OptionsValidationException(
                NoteSyncOptions.Section, typeof(NoteSyncOptions),
                ["NoteSync:Redis and NoteSync:Redis:Configuration are both set, to different connection strings; set one"]);
        }

        options.Redis.Configuration = plain;
    }
}
