namespace NoteSync.Server.Sync;

internal sealed partial class DeviceSession
{
    // Event ids 300-319 belong to the device sessions (302 and 304: their OutboundQueue). Names are public once shipped.
    private static partial class Log
    {
        [LoggerMessage(EventId = 301, EventName = "LivePushFailed", Level = LogLevel.Warning,
            Message = "A live push to device {DeviceId} of space {Space} failed; it is retried on the next change")]
        public static partial void LivePushFailed(ILogger logger, string space, string deviceId, Exception exception);

        [LoggerMessage(EventId = 303, EventName = "AnswerFailed", Level = LogLevel.Error,
            Message = "Answering a push of device {DeviceId} of space {Space} failed; the connection is closed")]
        public static partial void AnswerFailed(ILogger logger, string space, string deviceId, Exception exception);

        [LoggerMessage(EventId = 305, EventName = "HistoryChanged", Level = LogLevel.Information,
            Message = "The history of space {Space} changed from epoch {Old} to {New} under device {DeviceId}'s connection; closed so it reconnects and is reset")]
        public static partial void HistoryChanged(ILogger logger, string space, string deviceId, string old, string @new);

        [LoggerMessage(EventId = 306, EventName = "ClockWentBack", Level = LogLevel.Warning,
            Message = "The clock of space {Space} went back under device {DeviceId}'s connection, from {Sent} to {Clock} (the store lost writes it was sent); closed so it reconnects and is reset")]
        public static partial void ClockWentBack(ILogger logger, string space, string deviceId, long sent, long clock);
    }
}
