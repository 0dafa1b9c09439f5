namespace NoteSync.Server.Stores.Redis;

internal sealed partial class RedisSyncStore
{
    // Event ids 220-239 belong to the Redis store (200-299 are the stores'; 230-231: SlotMapRefresh). Names are public once
    // shipped. Never log note contents or connection passwords: keys, spaces, counts only.
    private static partial class Log
    {
        [LoggerMessage(220, LogLevel.Information, "Redis store opened on {Endpoints} (connection owned: {Owned})", EventName = "RedisStoreOpened")]
        public static partial void Opened(ILogger logger, string endpoints, bool owned);

        [LoggerMessage(221, LogLevel.Information, "Redis did not know script {Sha1}; sent it whole once", EventName = "RedisScriptSent")]
        public static partial void ScriptSent(ILogger logger, string sha1);

        [LoggerMessage(222, LogLevel.Error, "A push of {Writes} writes to space {Space} failed", EventName = "RedisApplyFailed")]
        public static partial void ApplyFailed(ILogger logger, string space, int writes, Exception exception);

        [LoggerMessage(223, LogLevel.Warning, "Redis store health check failed", EventName = "RedisHealthCheckFailed")]
        public static partial void HealthCheckFailed(ILogger logger, Exception exception);

        [LoggerMessage(224, LogLevel.Information, "Redis store closed", EventName = "RedisStoreClosed")]
        public static partial void Closed(ILogger logger);

        [LoggerMessage(225, LogLevel.Warning, "Redis {Endpoint} could lose acknowledged writes ({Reason}); starting anyway since NoteSync:Redis:AllowVolatile is true", EventName = "RedisVolatileAllowed")]
        public static partial void VolatileAllowed(ILogger logger, string endpoint, string reason);

        [LoggerMessage(226, LogLevel.Warning, "Redis {Endpoint} has appendfsync {Policy}: an acknowledged push may be lost if the Redis machine fails within the fsync interval; 'always' closes that window", EventName = "RedisFsyncNotAlways")]
        public static partial void FsyncNotAlways(ILogger logger, string endpoint, string policy);

        [LoggerMessage(227, LogLevel.Warning, "A push of {Writes} writes to space {Space} was not acknowledged: {Reason}", EventName = "RedisReplicationUnconfirmed")]
        public static partial void ReplicationUnconfirmed(ILogger logger, string space, int writes, string reason);

        [LoggerMessage(228, LogLevel.Warning, "Redis {Endpoint} has {Connected} connected replicas, fewer than NoteSync:Redis:MinReplicas={MinReplicas}: pushes are answered 'unavailable' until enough replicas attach", EventName = "RedisTooFewReplicas")]
        public static partial void TooFewReplicas(ILogger logger, string endpoint, int connected, int minReplicas);

        [LoggerMessage(229, LogLevel.Warning, "Redis {Endpoint} has {Connected} connected replicas, more than NoteSync:Redis:MinReplicas={MinReplicas}: a failover can lose acknowledged pushes (the old primary may go on taking writes that a replica not yet moved to the new one confirms); set MinReplicas to the number of replicas", EventName = "RedisMoreReplicasThanConfirm")]
        public static partial void MoreReplicasThanConfirm(ILogger logger, string endpoint, int connected, int minReplicas);
    }
}
