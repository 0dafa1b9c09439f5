using NoteSync.Server.Stores.Redis;
using StackExchange.Redis;

namespace NoteSync.Server.Fanout;

/// <summary>What <see cref="RedisDoorbell{TFrame}"/> puts on Redis, and its log events, whatever its frame type.</summary>
internal static partial class RedisDoorbell
{
    /// <summary>
    /// The pub/sub channel of <paramref name="space"/>: <c>ns:{&lt;space&gt;}:bell</c> (see <see cref="RedisKeys"/>).
    /// On a Redis Cluster it is <paramref name="sharded"/> (SPUBLISH/SSUBSCRIBE): its messages stay on the
    /// space's shard, where a classic channel's are copied to every node of the cluster.
    /// </summary>
    public static RedisChannel ChannelFor(string space, bool sharded = false)
    {
        var name = $"ns:{{{RedisKeys.HashTag(space)}}}:bell";
        return sharded ? RedisChannel.Sharded(name) : RedisChannel.Literal(name);
    }

    // Event ids 320-339 belong to the Redis doorbell (300-319 are the device sessions'). Names are
    // public once shipped. Spaces and cursors only, never note contents.
    internal static partial class Log
    {
        [LoggerMessage(320, LogLevel.Debug, "Could not publish a ring of space {Space}; the head check will cover it", EventName = "DoorbellPublishFailed")]
        public static partial void PublishFailed(ILogger logger, string space, Exception exception);

        [LoggerMessage(321, LogLevel.Warning, "Could not {Operation} the doorbell channel of space {Space}; the head check covers it meanwhile", EventName = "DoorbellSubscriptionFailed")]
        public static partial void SubscriptionFailed(ILogger logger, string operation, string space, Exception exception);

        [LoggerMessage(322, LogLevel.Warning, "Head check: {Failed} of {Spaces} space clocks could not be read; retrying at the next check", EventName = "DoorbellHeadCheckFailed")]
        public static partial void HeadCheckFailed(ILogger logger, int failed, int spaces, Exception exception);

        [LoggerMessage(323, LogLevel.Debug, "Head check found space {Space} at {Cursor} without a ring: devices catch up now", EventName = "DoorbellGapRepaired")]
        public static partial void GapRepaired(ILogger logger, string space, long cursor);

        [LoggerMessage(324, LogLevel.Warning, "Ignored a malformed doorbell message on the channel of space {Space}", EventName = "DoorbellMalformedMessage")]
        public static partial void MalformedMessage(ILogger logger, string space);
    }
}
