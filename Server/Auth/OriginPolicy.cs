using NoteSync.Server.Options;

namespace NoteSync.Server.Auth;

/// <summary>
/// Which browser origins may open a WebSocket (CONTRACT §6): none given (native clients), the server's
/// own origin, or one of <c>NoteSync:AllowedOrigins</c>. A hostile page in a user's browser can reach a
/// server the user can reach; this keeps it from opening a sync socket there.
/// </summary>
internal static class OriginPolicy
{
    /// <summary>Whether a WebSocket upgrade carrying <paramref name="origin"/> may proceed.</summary>
    public static bool Allows(HttpRequest request, string? origin, IReadOnlyCollection<string> allowed)
    {
        if (string.IsNullOrEmpty(origin))
        {
            return true;
        }

        var own = $"{request.Scheme}://{request.Host.Value}";
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)
            || allowed.Any(a => string.Equals(Normalize(a), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
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

    /// <summary>What is wrong with <c>NoteSync:AllowedOrigins</c>; empty when every entry is an origin.</summary>
    public static IEnumerable<string> Check(NoteSyncOptions options)
    {
        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            if (Normalize(options.AllowedOrigins[i]) is null)
            {
                yield return $"NoteSync:AllowedOrigins:{i} '{options.AllowedOrigins[i]}' must be an origin: http(s)://host[:port], with no path";
            }
        }
    }
}
