using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary><c>POST /sync</c> (docs/protocol.md §6): one request per push, nothing between them.</summary>
internal sealed class PollingTransport(Uri endpoint, Func<CancellationToken, ValueTask<string?>> token, TransferProgress progress) : ISyncTransport
{
    // Each push has its own deadline, which grows with its size (the loop's); HttpClient's fixed one would cut a large upload.
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public SyncTransport Kind => SyncTransport.Polling;

    public bool IsOpen => true;

    public async Task<SyncAck> PushAsync(SyncPush push, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            // UTF-8 as it is, not \uXXXX escapes: the size PushSizer counts, and up to six times smaller.
            Content = new ProgressContent(JsonSerializer.SerializeToUtf8Bytes(push, NoteSyncJsonContext.Wire.SyncPush), "application/json", progress),
        };
        if (await token(cancellationToken).ConfigureAwait(false) is { } bearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            throw ServerRefusal.FromHttp(response.StatusCode, response.ReasonPhrase, error, response.Headers.RetryAfter?.Delta);
        }

        return await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.SyncAck, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException("the server answered an empty body");
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    // A proxy's refusal has no error object (nginx answers 413 with HTML): null, and the status says it all.
    private static async Task<ErrorFrame?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }
}
