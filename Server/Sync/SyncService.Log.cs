namespace NoteSync.Server.Sync;

internal sealed partial class SyncService
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 250, EventName = "PushRefused", Level = LogLevel.Debug,
            Message = "Refused a push in space {Space} from device {DeviceId}: {Code}: {Reason}")]
        public static partial void PushRefused(ILogger logger, string space, string deviceId, string code, string reason);

        [LoggerMessage(EventId = 251, EventName = "StoreFailed", Level = LogLevel.Error,
            Message = "The store failed a push in space {Space} from device {DeviceId}; answered 'unavailable' (or 'internal' for a change the store refused)")]
        public static partial void StoreFailed(ILogger logger, string space, string deviceId, Exception exception);

        [LoggerMessage(EventId = 252, EventName = "DeviceReset", Level = LogLevel.Information,
            Message = "Device {DeviceId} in space {Space} came back at cursor {LastAck} of epoch {DeviceEpoch}; the space is at {Cursor} of epoch {Epoch}: it gets the whole space again")]
        public static partial void Reset(ILogger logger, string space, string deviceId, long lastAck, string? deviceEpoch, long cursor, string? epoch);
    }
}
