namespace NoteSync.Server.Sync;

internal sealed partial class WarmUpService
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 260, EventName = "WarmedUp", Level = LogLevel.Debug, Message = "Hot paths warmed up in {ElapsedMs:0.0} ms")]
        public static partial void WarmedUp(ILogger logger, double elapsedMs);
    }
}
