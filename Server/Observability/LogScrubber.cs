using System.Text.RegularExpressions;

namespace NoteSync.Server.Observability;

/// <summary>
/// Takes tokens out of log text: the value of an <c>access_token</c> query parameter, a
/// <c>Bearer</c> credential (16 characters or more, so "Bearer was not authenticated" stays), and anything shaped like a JWT (three base64url parts, the first a JSON
/// header). ASP.NET Core's own request log prints the URL with its query before any middleware runs,
/// so scrubbing has to happen in the loggers (<see cref="ScrubbingLoggerFactory"/>).
/// </summary>
internal static partial class LogScrubber
{
    /// <summary>What a removed token is replaced with.</summary>
    public const string Redacted = "[redacted]";

    /// <summary>Whether <paramref name="text"/> may hold a token (cheap test before the regex).</summary>
    public static bool MayHoldToken(string? text) =>
        text is not null && (text.Contains("access_token", StringComparison.OrdinalIgnoreCase)
            || text.Contains("eyJ", StringComparison.Ordinal)
            || text.Contains("bearer", StringComparison.OrdinalIgnoreCase));

    public static string Scrub(string text) => MayHoldToken(text) ? Pattern().Replace(text, Replace) : text;

    private static string Replace(Match match) =>
        match.Groups["name"].Success ? match.Groups["name"].Value + Redacted : Redacted;

    [GeneratedRegex(@"(?<name>access_token(=|%3D))[^&\s""',;]*|(?<name>bearer\s+)[A-Za-z0-9\-_.~+/]{16,}=*|eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]*)?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
