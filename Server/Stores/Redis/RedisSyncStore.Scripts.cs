using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

// How the store's scripts reach Redis: by SHA with the whole script as the fallback, on the primary
// only, and followed by WAIT where replicas must confirm a push.
internal sealed partial class RedisSyncStore
{
    // Bumped whenever a physical connection fails or comes back: a push whose WAIT may have gone out on
    // another connection than its script (which WAIT would then not cover) is not acknowledged.
    private long _connectionEpoch;

    /// <summary>How many times a script was not found by SHA and was sent whole again; lets tests see the fallback.</summary>
    internal long ScriptReloads => Interlocked.Read(ref _scriptReloads);

    private long _scriptReloads;

    /// <summary>
    /// Runs a script by SHA, on the primary only: a connection made through Sentinel knows the replicas
    /// too, and a replica's answer could be older than an acknowledged commit. NOSCRIPT (a restarted Redis, SCRIPT FLUSH, a failover to a node that never
    /// saw it) is answered by sending the script whole once: EVAL runs it and caches it on the node that
    /// owns the space's slot, so the next call finds it by SHA there. Nothing ran on NOSCRIPT, so the
    /// retry cannot apply a push twice.
    /// </summary>
    private async Task<RedisResult> EvaluateAsync(byte[] sha1, string script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await _database.ScriptEvaluateAsync(sha1, keys, values, CommandFlags.DemandMaster).ConfigureAwait(false);
        }
        catch (RedisException ex) when (_slotMap.Observe(ex))
        {
            // Never entered: the filter only starts a refresh of a stale slot map.
            throw;
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _scriptReloads);
            Log.ScriptSent(_logger, Convert.ToHexStringLower(sha1));
            return await _database.ScriptEvaluateAsync(script, keys, values, CommandFlags.DemandMaster).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The merge script, then <c>WAIT &lt;minReplicas&gt; &lt;timeout&gt;</c>. StackExchange.Redis sends every
    /// command for the primary down one interactive connection, in order, so the WAIT counts the
    /// replicas that hold the script's writes (and every earlier write of this node). Guarded: the
    /// primary this node targets must be the same endpoint before the script and after the WAIT, with
    /// no connection failure or restore in between (a failover that moved the connection would let
    /// the WAIT run on a connection that never wrote anything, which any replica satisfies).
    /// </summary>
    private async Task<RedisResult> EvaluateReplicatedAsync(string space, RedisKey[] keys, RedisValue[] values)
    {
        var epoch = Interlocked.Read(ref _connectionEpoch);
        var primary = _database.IdentifyEndpoint(keys[0], CommandFlags.DemandMaster);
        var result = await EvaluateAsync(RedisScripts.ApplySha1, RedisScripts.Apply, keys, values).ConfigureAwait(false);

        long confirmed;
        try
        {
            // WAIT names no key, so a Redis Cluster client would send it to any primary, whose replicas know
            // nothing of this push: it goes to the endpoint the script went to.
            object[] wait = [_minReplicas, _replicaWaitTimeoutMs];
            var reply = primary is null
                ? await _database.ExecuteAsync("WAIT", wait, CommandFlags.DemandMaster).ConfigureAwait(false)
                : await _database.Multiplexer.GetServer(primary).ExecuteAsync("WAIT", wait, CommandFlags.DemandMaster).ConfigureAwait(false);
            confirmed = (long)reply;
        }
        catch (RedisException ex)
        {
            // E.g. -UNBLOCKED when the primary is turned into a replica during the wait.
            throw new ReplicationUnconfirmedException($"WAIT failed in space '{space}': {ex.Message}", ex);
        }

        if (confirmed < _minReplicas)
        {
            throw new ReplicationUnconfirmedException(
                $"{confirmed} of {_minReplicas} replicas confirmed a push to space '{space}' within {_replicaWaitTimeoutMs} ms");
        }

        if (Interlocked.Read(ref _connectionEpoch) != epoch || !Equals(primary, _database.IdentifyEndpoint(keys[0], CommandFlags.DemandMaster)))
        {
            throw new ReplicationUnconfirmedException($"the connection to the primary changed during a push to space '{space}'; its WAIT proves nothing");
        }

        return result;
    }
}
