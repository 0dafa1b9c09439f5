using NoteSync.Server.Options;

namespace NoteSync.Server.Auth;

/// <summary>
/// Which browser origins may use the sync endpoints (docs/security.md, Browser origins): none given
/// (native clients), the server's own origin when it is reached under one of its <see cref="PublicHosts"/>,
/// or one of <c>NoteSync:AllowedOrigins</c>. A hostile page in a user's browser can reach a server the
/// user can reach, under its own name too (DNS rebinding); this keeps it from syncing there.
/// </summary>
internal sealed class OriginPolicy(NoteSyncOptions options)
{
    private readonly HashSet<string> _origins = new(options.AllowedOrigins.Select(Normalize).OfType<string>(), StringComparer.OrdinalIgnoreCase);

    private readonly PublicHosts _hosts = new(options.PublicHosts);

    /// <summary>Why a request carrying <paramref name="origin"/> may not proceed, or null when it may.</summary>
    public string? Refusal(HttpRequest request, string? origin)
    {
        if (string.IsNullOrEmpty(origin) || _origins.Contains(origin.TrimEnd('/')))
        {
            return null;
        }

        // Same-origin to the browser, so no CORS is asked for; but the page may be the attacker's,
        // loaded under a name of theirs that now resolves to this server.
        if (string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase))
        {
            return _hosts.Contains(request.Host)
                ? null
                : $"'{request.Host.Host}' is not a host name of the server (localhost, an IP address, or one in NoteSync:PublicHosts)";
        }

        return "the server accepts its own origin and NoteSync:AllowedOrigins";
    }

    /// <summary><paramref name="origin"/> as <c>scheme://host[:port]</c>, or null when it is not an http(s) origin.</summary>
    public static string? Normalize(string? origin)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }

        return uri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>What is wrong with <c>NoteSync:AllowedOrigins</c> and <c>NoteSync:PublicHosts</c>; empty when nothing is.</summary>
    public static IEnumerable<string> Check(NoteSyncOptions options)
    {
        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            if (Normalize(options.AllowedOrigins[i]) is null)
            {
                yield return $"NoteSync:AllowedOrigins:{i} '{options.AllowedOrigins[i]}' must be an origin: http(s)://host[:port], with no path";
            }
        }

        foreach (var failure in PublicHosts.Check(options))
        {
            yield return failure;
        }
    }
}
