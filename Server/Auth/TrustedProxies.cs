using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;
using NoteSync.Server.Options;

namespace NoteSync.Server.Auth;

/// <summary>
/// <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> from the proxies of <c>NoteSync:ForwardedHeaders:KnownProxies</c>
/// (loopback when none is listed), applied before anything reads the request: behind a TLS-terminating
/// proxy the page's own origin (<c>https://notes.example.com</c>) is then the request's
/// <c>scheme://Host</c>, and passes the Origin check when that name is in <c>NoteSync:PublicHosts</c>
/// (docs/security.md, Browser origins). The host name rule still applies to the forwarded host, so a
/// DNS-rebinding page gains nothing by sending these headers itself: its <c>Origin</c> stays its own name.
/// </summary>
internal static class TrustedProxies
{
    private const string Setting = $"{NoteSyncOptions.Section}:ForwardedHeaders:KnownProxies";

    public static IServiceCollection AddNoteSyncForwardedHeaders(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<NoteSyncOptions>>((forwarded, ns) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            var listed = ns.Value.ForwardedHeaders.KnownProxies;
            if (listed.Count == 0)
            {
                // ASP.NET Core's own default: loopback only.
                return;
            }

            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var entry in listed)
            {
                // Validated at start-up (Check), so every entry parses here.
                forwarded.KnownIPNetworks.Add(Parse(entry) ?? throw new InvalidOperationException($"{Setting}: '{entry}'"));
            }
        });
        return services;
    }

    /// <summary>First in the pipeline: the Origin check, the rate limits by address and the logs see the client's request.</summary>
    public static WebApplication UseNoteSyncForwardedHeaders(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }

    /// <summary>What is wrong with <c>NoteSync:ForwardedHeaders:KnownProxies</c>; empty when every entry is an address or a network.</summary>
    public static IEnumerable<string> Check(NoteSyncOptions options)
    {
        var listed = options.ForwardedHeaders.KnownProxies;
        for (var i = 0; i < listed.Count; i++)
        {
            if (Parse(listed[i]) is null)
            {
                yield return $"{Setting}:{i} '{listed[i]}' must be an IP address (10.0.0.5, ::1) or a network (10.0.0.0/8)";
            }
        }
    }

    private static IPNetwork? Parse(string? entry)
    {
        if (IPAddress.TryParse(entry, out var address))
        {
            return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }

        return IPNetwork.TryParse(entry, out var network) ? network : null;
    }
}
