using System.Diagnostics;
using System.Net.WebSockets;
using NoteSync.Tests.Infra;
using Xunit.Abstractions;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// An orderly stop (SIGTERM) ends every live connection at once, so the server exits in moments
/// instead of waiting out the host's 30 s shutdown timeout for connections that never end by
/// themselves: a raw WebSocket gets a 1001 close, a hub connection ends, and each device reconnects.
/// </summary>
public sealed class GracefulStopTests(ITestOutputHelper output)
{
    /// <summary>
    /// Well under the host's shutdown timeout (30 s), which the stop waited out while a device was
    /// connected; an idle server stops in about 2 s here.
    /// </summary>
    private static readonly TimeSpan QuickStop = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task StopClosesLiveConnectionsAndExitsWithoutWaitingForThem()
    {
        // Arrange: a device on each live transport, synced.
        await using var server = await ServerProcess.StartAsync();
        await using var ws = await WsDevice.ConnectAsync(server, "browser");
        await using var hub = await HubDevice.ConnectAsync(server, "laptop", messagePack: true);
        var hubClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Connection.Closed += _ =>
        {
            hubClosed.TrySetResult();
            return Task.CompletedTask;
        };
        await ws.PullAsync();
        await hub.PutAsync("note:kept", "written before the stop");
        await ws.WaitForValueAsync("note:kept", "written before the stop");

        // Act
        var clock = Stopwatch.StartNew();
        await server.StopAsync();
        clock.Stop();
        output.WriteLine($"stopped in {clock.Elapsed}");

        // Assert
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await ws.Closed.WaitAsync(TestDevice.DefaultTimeout));
        await hubClosed.Task.WaitAsync(TestDevice.DefaultTimeout);
        Assert.True(clock.Elapsed < QuickStop, $"the server took {clock.Elapsed} to stop with two devices connected");

        await server.StartAgainAsync();
        await using var returning = await WsDevice.ConnectAsync(server, "browser-again");
        await returning.PullAsync();
        Assert.Equal("written before the stop", returning.ValueOf("note:kept"));
    }
}
