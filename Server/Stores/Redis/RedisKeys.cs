using System.Text;
using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// The Redis key layout of <see cref="RedisSyncStore"/> (format version 1). Every key of a space carries
/// the space in one hash tag, so a whole space lives in one Redis Cluster slot and one Lua script may
/// touch all of it:
/// <code>
/// ns:{&lt;space&gt;}:clock   string      the space's clock C (docs/protocol.md §3) as a decimal integer; absent = 0
/// ns:{&lt;space&gt;}:e       hash        entry key -> the entry's seq, heads and replaced versions (entry format: RedisScripts)
/// ns:{&lt;space&gt;}:log     sorted set  entry key, scored by the seq of its last change: each key once,
///                                     so "changes since" is ZRANGEBYSCORE (a range read, never a scan)
/// ns:{&lt;space&gt;}:primary string      the replication id (master_replid) of the primary that last advanced
///                                     the clock; a different one means a failover happened since (RedisScripts.Apply)
/// ns:{&lt;space&gt;}:epoch   string      the name of the space's history: set at its first change under a primary
///                                     it has no record of (with the fence); absent = none yet
/// ns:{&lt;space&gt;}:usage   hash        notes -> the entries whose winner has a value, bytes -> the size of every
///                                     entry as SpaceQuotas.SizeOf counts it, both decimal; what the quotas
///                                     hold the space to. Absent = not counted yet: a space written before it
///                                     existed is counted from its entries at its next change (RedisScripts.Apply)
/// ns:{&lt;space&gt;}:hist    hash        n -> the count of versions ever recorded (the last order), bytes -> what the
///                                     history costs (NoteVersionRecord.CostOf); History format: RedisScripts.ReadHistory
/// ns:{&lt;space&gt;}:hk      hash        entry key -> its versions' records, oldest first, with the texts of up to
///                                     1 KiB of replaced versions, whole or as splices (history.lua)
/// ns:{&lt;space&gt;}:hv      hash        order -> a longer text of a version that is no longer a head (a head's is in :e)
/// ns:{&lt;space&gt;}:hd      hash        order -> instead of hv, a version's text as a splice of a later version's:
///                                     "&lt;later order&gt;,&lt;prefix bytes&gt;,&lt;suffix bytes&gt;," then the bytes between
///                                     (history.lua, spliceOf); the later version's text is in hv, hd or :e
/// ns:{&lt;space&gt;}:hold    sorted set  entry key with a non-head version, scored by its oldest one's order; a
///                                     member "&lt;order&gt;,&lt;key&gt;" is one version, as earlier stores wrote it
/// ns:{&lt;space&gt;}:trash   sorted set  entry key whose winner is a recorded delete, scored by the delete's order
/// ns:{&lt;space&gt;}:bell    channel     pub/sub, not a key: the space's doorbell (Fanout.RedisDoorbell); a
///                                     message is "&lt;cursor&gt; &lt;node id&gt;", sent after every commit, at most once
/// ns-signalr*          channels    pub/sub: the SignalR backplane's own channels (its channel prefix)
/// ns:health-probe      string      written by /healthz only while Redis refused a push's writes, to see
///                                     when it takes writes again (RedisWriteRefusal); expires in 10 s
/// </code>
/// Only <see cref="RedisScripts.Apply"/> writes a space's keys, in one script. In the hash
/// tag, <c>%</c> and <c>}</c> of a space are written <c>%25</c> and <c>%7D</c>: a <c>}</c> would end the tag
/// early (a space starting with one would give an empty tag, which Redis Cluster ignores, scattering the
/// space's keys), and escaping <c>%</c> as well keeps the mapping one-to-one. A later version may add keys
/// under the same tag; this one ignores any it does not know.
/// </summary>
internal static class RedisKeys
{
    /// <summary>The key <c>/healthz</c> writes to see whether Redis takes writes again (see <see cref="RedisWriteRefusal"/>).</summary>
    public static readonly RedisKey HealthProbe = "ns:health-probe";

    /// <summary>
    /// The keys of <paramref name="space"/>, in the order the scripts take them: clock, entries, log, primary,
    /// epoch, usage, then history's: hist, hk, hv, hold, trash, hd.
    /// </summary>
    public static RedisKey[] For(string space)
    {
        var prefix = $"ns:{{{HashTag(space)}}}:";
        return
        [
            prefix + "clock", prefix + "e", prefix + "log", prefix + "primary", prefix + "epoch", prefix + "usage",
            prefix + "hist", prefix + "hk", prefix + "hv", prefix + "hold", prefix + "trash", prefix + "hd",
        ];
    }

    /// <summary>The pattern of every space's clock key, for SCAN: one key per space written at least once.</summary>
    public const string ClockPattern = "ns:{*}:clock";

    /// <summary>The space whose clock key <paramref name="key"/> is (the inverse of <see cref="For"/>'s first key), or null for another key.</summary>
    public static string? SpaceOfClock(string key)
    {
        const string Start = "ns:{", End = "}:clock";
        if (!key.StartsWith(Start, StringComparison.Ordinal) || !key.EndsWith(End, StringComparison.Ordinal) || key.Length < Start.Length + End.Length + 1)
        {
            return null;
        }

        var tag = key[Start.Length..^End.Length];
        return tag.Contains('%', StringComparison.Ordinal)
            ? tag.Replace("%7D", "}", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal)
            : tag;
    }

    /// <summary>The space as written between the braces.</summary>
    public static string HashTag(string space)
    {
        if (space.AsSpan().IndexOfAny('%', '}') < 0)
        {
            return space;
        }

        var tag = new StringBuilder(space.Length + 8);
        foreach (var c in space)
        {
            _ = c switch
            {
                '%' => tag.Append("%25"),
                '}' => tag.Append("%7D"),
                _ => tag.Append(c),
            };
        }

        return tag.ToString();
    }
}
