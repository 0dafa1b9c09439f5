using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// Refreshes the connection's view of a Redis Cluster when a command was refused because the node its
/// slot map names is a replica now. After a shard fails over and back, StackExchange.Redis can learn, on
/// reconnecting, that the old primary came back as a replica while its slot map still sends the slot
/// there; it then refuses every command for that slot itself, so no <c>MOVED</c> reply corrects the map,
/// and the node answers <c>unavailable</c> for those spaces until the client's periodic check (a
/// minute). Found by the Jepsen run on a cluster (docs/testing.md). One refresh at a time, at most one a second.
/// </summary>
internal sealed partial class SlotMapRefresh(IConnectionMultiplexer redis, ILogger logger)
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    private int _running;
    private long _lastStarted = long.MinValue / 2;

    /// <summary>Starts a refresh when <paramref name="exception"/> is such a refusal. Returns false, for use as an exception filter that catches nothing.</summary>
    public bool Observe(Exception exception)
    {
        if (IsRefusedForAReplica(exception) && Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastStarted) < (long)MinInterval.TotalMilliseconds)
            {
                Volatile.Write(ref _running, 0);
                return false;
            }

            Interlocked.Exchange(ref _lastStarted, now);
            _ = RefreshAsync();
        }

        return false;
    }

    private static bool IsRefusedForAReplica(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is RedisCommandException && exception.Message.Contains("cannot be issued to a replica", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private async Task RefreshAsync()
    {
        try
        {
            LogRefreshing(logger);
            await redis.ConfigureAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogRefreshFailed(logger, ex);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    // Event ids 220-239 belong to the Redis store (RedisSyncStore.Log.cs).
    [LoggerMessage(230, LogLevel.Warning, "Redis refused a command for a node that is a replica now; reading the cluster's slot map again", EventName = "RedisSlotMapRefresh")]
    private static partial void LogRefreshing(ILogger logger);

    [LoggerMessage(231, LogLevel.Warning, "Reading the Redis cluster's slot map again failed", EventName = "RedisSlotMapRefreshFailed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
