namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>What the nodes of a <see cref="JepsenCluster"/> store in.</summary>
internal enum JepsenBackend
{
    /// <summary>One redis-server with AOF and <c>appendfsync always</c>: the supported single-Redis setup.</summary>
    DurableRedis,

    /// <summary>One redis-server without persistence, which the nodes are told to accept: a broken service, for proving the checker.</summary>
    VolatileRedis,

    /// <summary>A primary and a replica managed by a sentinel, the nodes on <c>MinReplicas=1</c>.</summary>
    Sentinel,

    /// <summary>A Redis Cluster of three primaries, each with a replica, the nodes on <c>MinReplicas=1</c>.</summary>
    Cluster,
}
