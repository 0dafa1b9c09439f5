using Microsoft.Extensions.Logging;

namespace NoteSync.Client;

public sealed partial class NoteSyncClient
{
    // Client events use 500-599 (the server holds 1-499). Never note contents or tokens.
    private static partial class Log
    {
        [LoggerMessage(500, LogLevel.Information, "Connected to the hub as {DeviceId}", EventName = "HubConnected")]
        public static partial void HubConnected(ILogger logger, string deviceId);

        [LoggerMessage(501, LogLevel.Warning, "The WebSocket could not be established ({Reason}); falling back to polling every {IntervalMs} ms, retrying the WebSocket in {RetrySeconds} s", EventName = "FallingBackToPolling")]
        public static partial void FallingBackToPolling(ILogger logger, string reason, int intervalMs, double retrySeconds);

        [LoggerMessage(502, LogLevel.Warning, "Sync failed ({Reason}); retrying in {DelayMs} ms (attempt {Attempt})", EventName = "SyncFailed")]
        public static partial void SyncFailed(ILogger logger, string reason, long delayMs, int attempt);

        [LoggerMessage(503, LogLevel.Error, "The server refused the token (401); retrying in {DelaySeconds} s", EventName = "TokenRefused")]
        public static partial void TokenRefused(ILogger logger, double delaySeconds);

        [LoggerMessage(504, LogLevel.Warning, "The server answered ack_timestamp {AckTimestamp} below the cursor {LastAck} without naming a reset (it lost data); reading the space again from 0 as a reset", EventName = "ServerBehindCursor")]
        public static partial void ServerBehindCursor(ILogger logger, long ackTimestamp, long lastAck);

        [LoggerMessage(505, LogLevel.Error, "The server refused the write of {Path} for good ({Code}: {Reason}); it stays in the outbox, set aside, until the note is written again", EventName = "WriteRefused")]
        public static partial void WriteRefused(ILogger logger, string path, string code, string reason);

        [LoggerMessage(512, LogLevel.Warning, "The server refused a push of {Count} writes ({Reason}); sending at most {Next} at a time to find the write it refuses", EventName = "PushSplit")]
        public static partial void PushSplit(ILogger logger, int count, string reason, int next);

        [LoggerMessage(506, LogLevel.Debug, "Synced: cursor {LastAck}, outbox {OutboxDepth}", EventName = "Synced")]
        public static partial void Synced(ILogger logger, long lastAck, int outboxDepth);

        [LoggerMessage(507, LogLevel.Information, "The server rate-limited a push; sending it again in {DelayMs} ms", EventName = "RateLimited")]
        public static partial void RateLimited(ILogger logger, long delayMs);

        [LoggerMessage(509, LogLevel.Warning, "The server's history changed (a restore or a failover; epoch {Epoch}, cursor {AckTimestamp}): reading the space again; the outbox is kept", EventName = "HistoryReset")]
        public static partial void HistoryReset(ILogger logger, string epoch, long ackTimestamp);

        [LoggerMessage(510, LogLevel.Warning, "Reset read: {Received} notes from the server; {Notes} notes ({Writes} writes) it lacked or held older are queued for re-upload", EventName = "ResetRead")]
        public static partial void ResetRead(ILogger logger, int received, int notes, int writes);

        [LoggerMessage(511, LogLevel.Warning, "The server refused a push of {Count} writes ({Reason}); they stay in the outbox and are sent again in {DelayMs} ms, or at the next local write", EventName = "QuotaExceeded")]
        public static partial void QuotaExceeded(ILogger logger, int count, string reason, long delayMs);

        [LoggerMessage(508, LogLevel.Error, "The local store could not be written ({Reason}); retrying in {DelayMs} ms", EventName = "StoreFailed")]
        public static partial void StoreFailed(ILogger logger, string reason, long delayMs);
    }
}
