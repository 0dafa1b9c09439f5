using NoteSync.Server.Endpoints;

namespace NoteSync.Server.Auth;

/// <summary>The names NoteSync reads from a token and from a request (docs/security.md).</summary>
internal static class AuthClaims
{
    /// <summary>The space the token gives access to: one non-empty string.</summary>
    public const string Space = "space";

    /// <summary>When present, the only device id the token may connect as.</summary>
    public const string DeviceId = "device_id";

    /// <summary>The query parameter that carries the token on the WebSocket endpoints (browsers cannot set headers there).</summary>
    public const string AccessTokenQuery = "access_token";

    /// <summary>
    /// Whether <paramref name="path"/> accepts the token in the query: <c>/ws/sync</c> and <c>/hubs/sync</c>
    /// (its negotiate included) only. <c>POST /sync</c> can send a header, and a URL ends up in more logs than a header does.
    /// </summary>
    public static bool QueryTokenAllowed(PathString path) =>
        path.StartsWithSegments(ServerPaths.WebSocket, StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments(ServerPaths.Hub, StringComparison.OrdinalIgnoreCase);
}
