using StackExchange.Redis;

namespace NoteSync.Server.Limits;

/// <summary>
/// Counts WebSocket upgrades service-wide with <c>Store=redis</c>, so <c>UpgradesPerMinute</c> and
/// <c>UpgradesPerMinutePerAddress</c> hold for the whole service and not per node: every node counts
/// in the same Redis key. One round trip per upgrade (a script that increments and, on the window's
/// first upgrade, sets the expiry).
/// <para>
/// <b>Keys</b> (apart from the store's <c>ns:{space}:...</c> and the channels): a fixed window of one
/// minute per token or address, started by its first upgrade and gone with its expiry:
/// <code>ns-limit:up:t:&lt;SHA-256 of the token, hex&gt;   (auth on)
/// ns-limit:up:a:&lt;client address&gt;               (auth off)</code>
/// Value: the count of upgrades in the window (a Redis integer); expiry: the window's end. No credential
/// is stored. A later format takes another prefix.
/// </para>
/// </summary>
internal sealed partial class RedisUpgradeCounter(IConnectionMultiplexer redis, ILogger<RedisUpgradeCounter> logger)
{
    private const long WindowMs = 60_000;
    private const long WarnEveryMs = 30_000;

    // KEYS[1]: the window key. ARGV[1]: the window in ms. Returns {count in the window, ms left in it}.
    // A key left without an expiry (never, short of someone writing it by hand) gets one here, so it cannot
    // refuse for ever.
    private const string Script = """
        local n = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[1])
          ttl = tonumber(ARGV[1])
        end
        return {n, ttl}
        """;

    // When the next warning may be logged (Environment.TickCount64 ms).
    private long _nextWarning;

    /// <summary>
    /// Counts one upgrade of <paramref name="key"/> (<c>t:&lt;hash&gt;</c> or <c>a:&lt;address&gt;</c>):
    /// null when Redis cannot be asked (the caller then counts on this node alone), else whether it is
    /// within <paramref name="limit"/> a minute and, when not, how long until the window ends.
    /// </summary>
    public async Task<(bool Allowed, int RetryAfterMs)?> TryTakeAsync(string key, int limit)
    {
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, [(RedisKey)("ns-limit:up:" + key)], [WindowMs]))!;
            var count = (long)result[0];
            var left = (long)result[1];
            return count <= limit ? (true, 0) : (false, (int)Math.Clamp(left, 1, WindowMs));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Fail over to the node's own count rather than refuse everyone or nobody: while Redis is
            // unreachable, pushes fail anyway and devices reconnect, which must stay bounded.
            var now = Environment.TickCount64;
            var next = Interlocked.Read(ref _nextWarning);
            if (now >= next && Interlocked.CompareExchange(ref _nextWarning, now + WarnEveryMs, next) == next)
            {
                Log.UpgradeCountUnavailable(logger, ex);
            }

            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 270, EventName = "UpgradeCountUnavailable", Level = LogLevel.Warning,
            Message = "Upgrades could not be counted in Redis; each node counts its own until Redis answers again (logged at most every 30 s)")]
        public static partial void UpgradeCountUnavailable(ILogger logger, Exception exception);
    }
}
