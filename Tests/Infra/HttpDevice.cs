using System.Net.Http.Json;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Infra;

/// <summary>A polling device on <c>POST /sync</c>.</summary>
internal sealed class HttpDevice : TestDevice
{
    private readonly HttpClient _http;

    private HttpDevice(string deviceId, HttpClient http)
        : base(deviceId)
    {
        _http = http;
    }

    public HttpClient Http => _http;

    /// <summary>A device posting as <paramref name="deviceId"/>, with <paramref name="token"/> (if any) as its bearer header.</summary>
    public static HttpDevice Create(ITestServer server, string deviceId, string? token = null) => Create(server.BaseUri, deviceId, token);

    /// <summary>A device posting to the server at <paramref name="baseUri"/> (a <see cref="FakeSyncServer"/>, say).</summary>
    public static HttpDevice Create(Uri baseUri, string deviceId, string? token = null)
    {
        var http = new HttpClient { BaseAddress = baseUri, Timeout = DefaultTimeout };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return new(deviceId, http);
    }

    public string SyncPath => $"sync?device_id={Uri.EscapeDataString(DeviceId)}";

    protected override async Task<SyncAck> SendPushAsync(SyncPush push, CancellationToken cancellationToken)
    {
        var ack = await PostAsync(push, cancellationToken);
        while (ack.More)
        {
            ack = await PostAsync(new SyncPush { LastAck = ack.AckTimestamp }, cancellationToken);
        }

        return ack;
    }

    private async Task<SyncAck> PostAsync(SyncPush push, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(SyncPath, push, NoteSyncJsonContext.Default.SyncPush, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame, cancellationToken);
            throw new HttpRequestException($"POST /sync answered {(int)response.StatusCode}: {error?.Code}: {error?.Message}");
        }

        var ack = (await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.SyncAck, cancellationToken))!;
        Apply(ack);
        return ack;
    }

    public override ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
