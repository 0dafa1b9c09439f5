using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.Options;
using NoteSync.Server.Endpoints;
using NoteSync.Server.Fanout;
using NoteSync.Server.Hubs;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Server.Stores.Sqlite;
using StackExchange.Redis;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

using SignalRRedisOptions = Microsoft.AspNetCore.SignalR.StackExchangeRedis.RedisOptions;

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
        services.AddSingleton<IValidateOptions<NoteSyncOptions>, AuthOptionsValidator>();
        services.AddSingleton<IValidateOptions<NoteSyncOptions>, LimitsConsistencyValidator>();

        // One Redis connection per node, made (and checked) only with Store=redis, shared by the store and
        // the doorbell; the container disposes it after both (it was created before them).
        services.AddSingleton<IConnectionMultiplexer>(ConnectRedis);
        services.AddSingleton<ISyncStore>(CreateStore);
        services.AddSingleton<IDoorbell<LiveFrame>>(CreateDoorbell);
        services.AddMetrics();
        services.AddSingleton<NoteSyncMetrics>();
        services.AddSingleton<RecentChanges>();
        services.AddSingleton<SyncService>();
        services.AddSingleton<PushIntake>();
        services.AddSingleton<Rendering.MarkdownRenderer>();
        services.AddHostedService<WarmUpService>();
        services.AddHostedService(services => new DoorbellHeadCheckService(
            services.GetRequiredService<IDoorbell<LiveFrame>>() as IHeadCheck,
            services.GetRequiredService<IOptions<NoteSyncOptions>>(),
            services.GetRequiredService<ILogger<DoorbellHeadCheckService>>()));

        services.AddSignalR(o => o.EnableDetailedErrors = false)
            .AddJsonProtocol(o =>
            {
                HubJson.Configure(o.PayloadSerializerOptions);
                HubPushJson.Configure(o.PayloadSerializerOptions);
            })
            .AddMessagePackProtocol(HubPushMessagePack.Configure);

        // SignalR's own limit is matched to ours so both transports refuse the same sizes. It is set on
        // the global hub options: SignalR reads HubOptions<SyncHub> only when they were configured
        // through AddHubOptions (an internal flag), and silently used the global, unlimited, value
        // while this was set on HubOptions<SyncHub> alone.
        services.AddOptions<HubOptions>().Configure<IOptions<NoteSyncOptions>>((hub, ns) =>
            hub.MaximumReceiveMessageSize = ns.Value.Limits.MaxMessageBytes);

        // SignalR scale-out: with Store=redis the hub's lifetime manager is the Redis backplane (its own
        // connection, channels under "ns-signalr"), so hub calls that address connections or groups on
        // other nodes reach them. The store kind is only known once options bind, hence the factory.
        services.AddOptions<SignalRRedisOptions>().Configure<IOptions<NoteSyncOptions>>((backplane, ns) =>
        {
            if (ns.Value.Store == StoreKinds.Redis && !string.IsNullOrWhiteSpace(ns.Value.Redis.Configuration))
            {
                backplane.Configuration = ConfigurationOptions.Parse(ns.Value.Redis.Configuration);
                backplane.Configuration.ChannelPrefix = RedisChannel.Literal(SignalRChannelPrefix);
                backplane.Configuration.AbortOnConnectFail = false;
            }
        });
        services.AddSingleton<HubLifetimeManager<SyncHub>>(CreateHubLifetimeManager);
        return services;
    }

    /// <summary>The prefix of the SignalR backplane's Redis channels, apart from the doorbell's <c>ns:{space}:bell</c>.</summary>
    public const string SignalRChannelPrefix = "ns-signalr";

    private static HubLifetimeManager<SyncHub> CreateHubLifetimeManager(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<NoteSyncOptions>>().Value;
        return options.Store == StoreKinds.Redis
            ? new RedisHubLifetimeManager<SyncHub>(
                services.GetRequiredService<ILogger<RedisHubLifetimeManager<SyncHub>>>(),
                services.GetRequiredService<IOptions<SignalRRedisOptions>>(),
                services.GetRequiredService<IHubProtocolResolver>(),
                services.GetRequiredService<IOptions<HubOptions>>(),
                services.GetRequiredService<IOptions<HubOptions<SyncHub>>>())
            : new DefaultHubLifetimeManager<SyncHub>(services.GetRequiredService<ILogger<DefaultHubLifetimeManager<SyncHub>>>());
    }

    private static IDoorbell<LiveFrame> CreateDoorbell(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<NoteSyncOptions>>().Value;
        return options.Store == StoreKinds.Redis
            ? new RedisDoorbell<LiveFrame>(
                services.GetRequiredService<IConnectionMultiplexer>(),
                services.GetRequiredService<ISyncStore>(),
                services.GetRequiredService<RecentChanges>().OnHeard,
                services.GetRequiredService<NoteSyncMetrics>(),
                services.GetRequiredService<ILogger<RedisDoorbell<LiveFrame>>>())
            : new InProcessDoorbell<LiveFrame>();
    }

    private static ISyncStore CreateStore(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<NoteSyncOptions>>().Value;
        return options.Store switch
        {
            StoreKinds.Sqlite => new SqliteSyncStore(
                Path.GetFullPath(options.DataDir),
                services.GetRequiredService<ILoggerFactory>().CreateLogger<SqliteSyncStore>(),
                options.Limits.ToClockLimits(),
                options.Limits.ToNoteLimits(),
                options.Limits.ToSpaceQuotas(),
                options.History.ToHistoryLimits(),
                mergesConcurrentEdits: options.Sync.AutoMerge),
            StoreKinds.Redis => new RedisSyncStore(
                services.GetRequiredService<IConnectionMultiplexer>(),
                services.GetRequiredService<ILoggerFactory>().CreateLogger<RedisSyncStore>(),
                minReplicas: options.Redis.MinReplicas,
                replicaWaitTimeoutMs: options.Redis.ReplicaWaitTimeoutMs,
                clockLimits: options.Limits.ToClockLimits(),
                noteLimits: options.Limits.ToNoteLimits(),
                quotas: options.Limits.ToSpaceQuotas(),
                history: options.History.ToHistoryLimits()),
            _ => throw new OptionsValidationException(
                NoteSyncOptions.Section, typeof(NoteSyncOptions),
                [$"NoteSync:Store={options.Store} is not available in this build; use '{StoreKinds.Sqlite}' or '{StoreKinds.Redis}'"]),
        };
    }

    /// <summary>
    /// Connects and checks that Redis keeps what it acknowledges. Runs at start-up (Program resolves the
    /// store, which needs this), so every failure here stops the node before it listens. The container
    /// owns the connection and closes it on shutdown, after the store and the doorbell.
    /// </summary>
    private static ConnectionMultiplexer ConnectRedis(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<NoteSyncOptions>>().Value.Redis;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<RedisSyncStore>();
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
            // admin connection, so the node's long-lived one stays unable to run FLUSHALL and the like.
            var admin = configuration.Clone();
            admin.AllowAdmin = true;
            using (var check = ConnectionMultiplexer.Connect(admin))
            {
                RedisSyncStore.CheckDurability(check, options.AllowVolatile, logger, options.MinReplicas);
            }

            return redis;
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>NoteSync:Redis</c> is a string (docs/operations.md) and a section (<c>:AllowVolatile</c>) at once; the
    /// binder fills the section's children, and this takes the string itself.
    /// </summary>
    internal static void ReadRedisConnectionString(NoteSyncOptions options, IConfiguration configuration)
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
