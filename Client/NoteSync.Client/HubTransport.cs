using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// The SignalR hub (docs/protocol.md §5) over one WebSocket, MessagePack, negotiation skipped. Live
/// pushes go to the handler given at connection, one at a time in the order received.
/// </summary>
internal sealed class HubTransport : ISyncTransport
{
    private readonly HubConnection _hub;

    private HubTransport(HubConnection hub) => _hub = hub;

    public SyncTransport Kind => SyncTransport.WebSocket;

    public bool IsOpen => _hub.State == HubConnectionState.Connected;

    /// <summary>
    /// Opens the hub. A refused upgrade throws <see cref="HttpRequestException"/> with the upgrade's status
    /// (401 is a refused token; others mean the server will not give us a WebSocket), and a handshake slower
    /// than <paramref name="timeout"/> a <see cref="TimeoutException"/>.
    /// </summary>
    public static async Task<HubTransport> ConnectAsync(
        Uri url,
        Func<CancellationToken, ValueTask<string?>> token,
        TransferProgress progress,
        Action<SyncAck> onChanges,
        Action onClosed,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(url, o =>
            {
                // One WebSocket and no negotiation: any node of the service can take it (docs/protocol.md §5).
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                o.WebSocketFactory = (context, ct) => OpenWebSocketAsync(context.Uri, token, progress, ct);
            })
            .AddMessagePackProtocol()
            .Build();
        hub.On("Changes", onChanges);
        hub.Closed += _ =>
        {
            onClosed();
            return Task.CompletedTask;
        };
        var transport = new HubTransport(hub);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await hub.StartAsync(deadline.Token).ConfigureAwait(false);
            return transport;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"the WebSocket handshake did not finish within {timeout.TotalSeconds} s");
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<SyncAck> PushAsync(SyncPush push, CancellationToken cancellationToken) =>
        InvokeAsync<SyncAck>("Push", [push], cancellationToken);

    private async Task<T> InvokeAsync<T>(string method, object?[] args, CancellationToken cancellationToken)
    {
        try
        {
            return await _hub.InvokeCoreAsync<T>(method, args, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException ex) when (ServerRefusal.FromHubError(ex.Message) is { } refusal)
        {
            throw refusal;
        }
    }

    public Task<NoteHistory> HistoryAsync(string key, CancellationToken cancellationToken) =>
        InvokeAsync<NoteHistory>("History", [key], cancellationToken);

    public Task<NoteSync.Shared.Protocol.NoteVersion> VersionAsync(string key, long timestamp, string deviceId, CancellationToken cancellationToken) =>
        InvokeAsync<NoteSync.Shared.Protocol.NoteVersion>("Version", [key, timestamp, deviceId], cancellationToken);

    public Task<MergeSuggestion> MergeAsync(string key, CancellationToken cancellationToken) =>
        InvokeAsync<MergeSuggestion>("Merge", [key], cancellationToken);

    public Task<TrashList> TrashAsync(CancellationToken cancellationToken) =>
        InvokeAsync<TrashList>("Trash", [], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _hub.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Closing a connection that already failed: nothing to do about it.
            Debug.WriteLine(ex);
        }
    }

    /// <summary>
    /// The WebSocket, opened here rather than by SignalR so that a refused upgrade is told by its HTTP
    /// status (docs/protocol.md §5: 401/403 on the upgrade), not by the text of SignalR's exception.
    /// </summary>
    private static async ValueTask<WebSocket> OpenWebSocketAsync(Uri uri, Func<CancellationToken, ValueTask<string?>> token, TransferProgress progress, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (await token(cancellationToken).ConfigureAwait(false) is { } bearer)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        try
        {
            await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
            return new ProgressWebSocket(socket, progress);
        }
        catch (WebSocketException ex) when (socket.HttpStatusCode is not 0 and not HttpStatusCode.SwitchingProtocols)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw new HttpRequestException($"the WebSocket upgrade was answered {(int)status} {status}", ex, status);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
