using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NoteSync.Server.Options;

namespace NoteSync.Server.Auth;

/// <summary>
/// The host names under which a browser request counts as coming from the server's own origin
/// (docs/security.md, Browser origins): <c>localhost</c> and IP addresses always, and the names in
/// <c>NoteSync:PublicHosts</c>. A <c>Host</c> header alone proves nothing: a DNS-rebinding page on a
/// name its attacker controls sends its own name as <c>Host</c> and as <c>Origin</c>. It cannot send
/// <c>localhost</c> or an IP address there, because a browser sends those only for a page loaded from
/// that very address.
/// </summary>
internal sealed class PublicHosts
{
    private const string Setting = $"{NoteSyncOptions.Section}:PublicHosts";

    private readonly HashSet<string> _listed;

    public PublicHosts(IEnumerable<string> listed) =>
        _listed = new HashSet<string>(listed.Select(Normalize).OfType<string>(), StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the host name of <paramref name="host"/> (any port) is one of the server's own.</summary>
    public bool Contains(HostString host)
    {
        var name = host.Host;
        return string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase) || IsAddress(name) || _listed.Contains(name);
    }

    /// <summary>
    /// <paramref name="entry"/> as the browser sends it in <c>Host</c> (ASCII, lower case), or null when
    /// it is not a host name or an IP address (a scheme, port, path or wildcard makes it neither).
    /// </summary>
    public static string? Normalize(string? entry)
    {
        switch (Uri.CheckHostName(entry))
        {
            case UriHostNameType.IPv4 or UriHostNameType.IPv6:
                return entry!.ToLowerInvariant();
            case UriHostNameType.Dns:
                try
                {
                    // Browsers send an internationalized name in its punycode form.
                    return new IdnMapping().GetAscii(entry!).ToLowerInvariant();
                }
                catch (ArgumentException)
                {
                    return null;
                }

            default:
                return null;
        }
    }

    /// <summary>What is wrong with <c>NoteSync:PublicHosts</c>; empty when every entry is a host name.</summary>
    public static IEnumerable<string> Check(NoteSyncOptions options)
    {
        for (var i = 0; i < options.PublicHosts.Count; i++)
        {
            if (Normalize(options.PublicHosts[i]) is null)
            {
                yield return $"{Setting}:{i} '{options.PublicHosts[i]}' must be a host name such as notes.example.com: no scheme, port, path or wildcard";
            }
        }
    }

    // Only the forms a browser puts in Host: IPv4 as four decimal numbers (the URL parser rewrites any
    // other spelling to it) and IPv6 in brackets, so no name a browser resolves through DNS passes.
    private static bool IsAddress(string name)
    {
        if (name.Length > 2 && name[0] == '[' && name[^1] == ']')
        {
            return IPAddress.TryParse(name.AsSpan(1, name.Length - 2), out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6;
        }

        return IPAddress.TryParse(name, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork
            && string.Equals(v4.ToString(), name, StringComparison.Ordinal);
    }
}
