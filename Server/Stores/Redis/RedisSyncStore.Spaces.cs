using System.Runtime.CompilerServices;

namespace NoteSync.Server.Stores.Redis;

internal sealed partial class RedisSyncStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<string> ListSpacesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Every primary holds its own slots' spaces (one on a single Redis or a Sentinel set); SCAN
        // walks a primary's keys in small steps, so a large store is listed without blocking Redis.
        foreach (var server in _redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(_database.Database, RedisKeys.ClockPattern, pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (RedisKeys.SpaceOfClock(key.ToString()) is { } space)
                {
                    yield return space;
                }
            }
        }
    }
}
