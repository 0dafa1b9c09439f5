namespace NoteSync.Tests.Infra;

/// <summary>
/// The two stores a server test can run on (hostile-input and limit tests run on both), as theory
/// data; <see cref="ServerProcess.StartOnStoreAsync"/> starts a server on one.
/// </summary>
public static class TestStores
{
    /// <summary>The embedded default: SQLite in the server's data directory.</summary>
    public const string Sqlite = "sqlite";

    /// <summary><c>NoteSync:Store=redis</c> on a real redis-server.</summary>
    public const string Redis = "redis";

    public static readonly string[] All = [Sqlite, Redis];

    /// <summary>
    /// Starts a server on <paramref name="store"/> with <paramref name="start"/>: SQLite in its data
    /// directory, or Redis on a redis-server of its own, handed to the server by <paramref name="adopt"/> to
    /// stop with it, so nothing a test leaves in Redis reaches another test (with auth off every device
    /// is in space <c>default</c>, so key prefixes alone would not keep tests apart).
    /// </summary>
    internal static async Task<T> StartServerAsync<T>(
        string store, IReadOnlyDictionary<string, string>? settings, Func<IReadOnlyDictionary<string, string>?, Task<T>> start, Action<T, RedisServer> adopt)
    {
        if (store == Sqlite)
        {
            return await start(settings);
        }

        Assert.Equal(Redis, store);
        var redis = await RedisServer.StartAsync();
        try
        {
            var withRedis = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
            {
                ["NoteSync__Store"] = "redis",
                ["NoteSync__Redis"] = redis.ConnectionString,
            };
            var server = await start(withRedis);
            adopt(server, redis);
            return server;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>Each store.</summary>
    public static TheoryData<string> Both => [.. All];

    /// <summary>Each store with the test's flag (auth, MessagePack, ...) false and true.</summary>
    public static TheoryData<string, bool> BothWithFalseAndTrue
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var store in All)
            {
                data.Add(store, false);
                data.Add(store, true);
            }

            return data;
        }
    }

    /// <summary>Every row of <paramref name="rows"/> once per store, the store first.</summary>
    public static TheoryData<string, T1, T2, T3> Cross<T1, T2, T3>(TheoryData<T1, T2, T3> rows)
    {
        var data = new TheoryData<string, T1, T2, T3>();
        foreach (var store in All)
        {
            foreach (var row in rows)
            {
                data.Add(store, (T1)row[0], (T2)row[1], (T3)row[2]);
            }
        }

        return data;
    }
}
