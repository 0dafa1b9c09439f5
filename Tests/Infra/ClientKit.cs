using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NoteSync.Client;
using NoteSync.Shared;

namespace NoteSync.Tests.Infra;

/// <summary>Builds <see cref="NoteSyncClient"/>s against a <see cref="ServerProcess"/> and waits on them.</summary>
internal static class ClientKit
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A client of <paramref name="server"/> storing in <paramref name="dataDir"/>; not started, so tests
    /// can set hooks first. Short backoff so a restarted server is found again quickly.
    /// </summary>
    public static NoteSyncClient Create(ITestServer server, string deviceId, string dataDir, bool webSocket = true, Action<NoteSyncClientOptions>? configure = null)
    {
        var options = new NoteSyncClientOptions
        {
            DataDirectory = dataDir,
            MinReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(15),
        };
        configure?.Invoke(options);
        return new NoteSyncClient(
            new SyncConfig { DeviceId = deviceId, SyncEndpoint = server.BaseUri, EnableWebSocket = webSocket, SyncIntervalMs = 200 },
            options);
    }

    /// <summary>A started client.</summary>
    public static NoteSyncClient Start(ITestServer server, string deviceId, string dataDir, bool webSocket = true, Action<NoteSyncClientOptions>? configure = null)
    {
        var client = Create(server, deviceId, dataDir, webSocket, configure);
        client.Start();
        return client;
    }

    /// <summary><see cref="NoteSyncClient.SyncNowAsync"/> bounded by <see cref="WaitLimit"/>.</summary>
    public static Task SyncBoundedAsync(this NoteSyncClient client)
    {
        using var cts = new CancellationTokenSource(WaitLimit);
        return client.SyncNowAsync(cts.Token).WaitAsync(WaitLimit);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, or fails saying <paramref name="what"/>.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Polls the asynchronous <paramref name="condition"/> until it holds, or fails saying <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? WaitLimit);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(25);
        }
    }
}

/// <summary>A logger that keeps every line with its event name, for asserting what a client said.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string EventName, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel, eventId.Name ?? "", formatter(state, exception)));
}
