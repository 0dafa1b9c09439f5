namespace NoteSync.Server.Observability;

/// <summary>Keeps tokens out of every log the host writes (<see cref="ScrubbingLoggerFactory"/>).</summary>
internal static class ScrubbingLoggingExtensions
{
    /// <summary>
    /// Wraps the logger factory so tokens never reach a log: not in NoteSync's messages, and not in
    /// ASP.NET Core's "Request starting ... /ws/sync?access_token=..." (Information), which is written
    /// before any middleware could strip the query.
    /// </summary>
    public static ILoggingBuilder AddTokenScrubbing(this ILoggingBuilder logging)
    {
        ScrubbingLoggerFactory.Register(logging.Services);
        return logging;
    }
}
