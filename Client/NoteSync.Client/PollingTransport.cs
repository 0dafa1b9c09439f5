using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// <c>POST /sync</c> (docs/protocol.md §6): one request per push, nothing between them; and the history requests
/// as <c>GET /sync/history</c>, <c>/sync/version</c>, <c>/sync/merge</c>, <c>/sync/trash</c> under the same path.
/// </summary>
internal sealed class PollingTransport(Uri pollUri, string deviceId, Func<CancellationToken, ValueTask<string?>> token, TransferProgress progress) : ISyncTransport
{
    // Each push has its own deadline, which grows with its size (the loop's); HttpClient's fixed one would cut a large upload.
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly string _device = Uri.EscapeDataString(deviceId);

    public SyncTransport Kind => SyncTransport.Polling;

    public bool IsOpen => true;

    public async Task<SyncAck> PushAsync(SyncPush push, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{pollUri}?device_id={_device}"))
        {
            // UTF-8 as it is, not \uXXXX escapes: the size PushSizer counts, and up to six times smaller.
            Content = new ProgressContent(JsonSerializer.SerializeToUtf8Bytes(push, NoteSyncJsonContext.Wire.SyncPush), "application/json", progress),
        };
        return await SendAsync(request, NoteSyncJsonContext.Default.SyncAck, cancellationToken).ConfigureAwait(false);
    }

    public Task<NoteHistory> HistoryAsync(string key, CancellationToken cancellationToken) =>
        GetAsync($"history?device_id={_device}&key={Uri.EscapeDataString(key)}", NoteSyncJsonContext.Default.NoteHistory, cancellationToken);

    public Task<NoteSync.Shared.Protocol.NoteVersion> VersionAsync(string key, long timestamp, string deviceId, CancellationToken cancellationToken) =>
        GetAsync(
            $"version?device_id={_device}&key={Uri.EscapeDataString(key)}&timestamp={timestamp.ToString(CultureInfo.InvariantCulture)}&version_device_id={Uri.EscapeDataString(deviceId)}",
            NoteSyncJsonContext.Default.NoteVersion,
            cancellationToken);

    public Task<MergeSuggestion> MergeAsync(string key, CancellationToken cancellationToken) =>
        GetAsync($"merge?device_id={_device}&key={Uri.EscapeDataString(key)}", NoteSyncJsonContext.Default.MergeSuggestion, cancellationToken);

    public Task<TrashList> TrashAsync(CancellationToken cancellationToken) =>
        GetAsync($"trash?device_id={_device}", NoteSyncJsonContext.Default.TrashList, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<T> GetAsync<T>(string pathAndQuery, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{pollUri}/{pathAndQuery}"));
        return await SendAsync(request, type, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
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

        return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException("the server answered an empty body");
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
