using System.Net.Http.Headers;

namespace NoteSync.Tests.Infra;

/// <summary>WebSocket upgrade requests sent through <see cref="HttpClient"/>, so a refusal's status, headers and body can be read.</summary>
internal static class UpgradeRequests
{
    /// <summary>A GET with the WebSocket upgrade headers for <paramref name="pathAndQuery"/> (relative to the server).</summary>
    public static HttpRequestMessage Create(string pathAndQuery, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return request;
    }
}
