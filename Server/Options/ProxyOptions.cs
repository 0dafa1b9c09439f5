namespace NoteSync.Server.Options;

/// <summary>The reverse proxies whose forwarded headers are believed: <c>NoteSync:ForwardedHeaders:*</c>.</summary>
public sealed class ProxyOptions
{
    /// <summary>
    /// The addresses (<c>10.0.0.5</c>, <c>::1</c>) or networks (<c>10.0.0.0/8</c>) of the reverse proxies in
    /// front of the server. Only a request that comes from one of them has its <c>X-Forwarded-For</c>,
    /// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c> applied: the client's address, scheme and
    /// host as the proxy received them. Anyone else's are ignored. The default, none listed, believes
    /// loopback only (<c>127.0.0.0/8</c>, <c>::1</c>): a proxy on the same machine. Listing any replaces loopback.
    /// </summary>
    public List<string> KnownProxies { get; set; } = [];
}
