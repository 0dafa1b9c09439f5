namespace NoteSync.Server.Endpoints;

/// <summary>The paths the server answers on (docs/protocol.md §4 to §7), for the endpoints and the middleware that picks requests by path.</summary>
internal static class ServerPaths
{
    /// <summary>The raw WebSocket (docs/protocol.md §4).</summary>
    public const string WebSocket = "/ws/sync";

    /// <summary>The SignalR hub, its negotiate included (docs/protocol.md §5).</summary>
    public const string Hub = "/hubs/sync";

    /// <summary>The HTTP fallback, <c>POST</c> only (docs/protocol.md §6).</summary>
    public const string Http = "/sync";

    /// <summary>The page's Markdown preview, <c>POST</c> only: not part of the sync protocol (docs/web.md), under the HTTP fallback's path so that every check of it applies.</summary>
    public const string Render = Http + "/render";

    /// <summary>Health (docs/protocol.md §7).</summary>
    public const string Health = "/healthz";

    /// <summary>Liveness: the process answers, whatever its store.</summary>
    public const string HealthLive = "/healthz/live";

    /// <summary>The Prometheus scrape, when metrics are exported.</summary>
    public const string Metrics = "/metrics";

    /// <summary>Whether <paramref name="path"/> is one of the three sync endpoints (or under one).</summary>
    public static bool IsSync(PathString path) =>
        path.StartsWithSegments(WebSocket, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(Http, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(Hub, StringComparison.OrdinalIgnoreCase);
}
