using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// One connection of a writer or observer to one node, over one transport, with the ack_timestamps it
/// saw. HTTP has no connection; its "connection" is the run of requests to one node until a failure.
/// </summary>
internal sealed class DeviceConnection : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);
    private readonly List<ReceivedAck> _results = [];

    private DeviceConnection(TestDevice device, string id, int node, Transport transport)
    {
        Device = device;
        Id = id;
        Node = node;
        Transport = transport;
    }

    public TestDevice Device { get; }

    public string Id { get; }

    public int Node { get; }

    public Transport Transport { get; }

    /// <summary>True while a live transport's connection is open (never for HTTP, which has no live pushes).</summary>
    public bool IsConnected => Device switch
    {
        WsDevice ws => !ws.Closed.IsCompleted,
        HubDevice hub => hub.Connection.State == HubConnectionState.Connected,
        _ => false,
    };

    /// <summary>Connects within <paramref name="timeout"/> (a few seconds by default), or returns null (a connect to a stopped node is left to finish and be closed in the background).</summary>
    public static async Task<DeviceConnection?> OpenAsync(JepsenCluster cluster, int node, Transport transport, string deviceId, string id, ICollection<Task> background, TimeSpan? timeout = null)
    {
        var server = cluster.Nodes[node];
        var connecting = transport switch
        {
            Transport.WebSocket => ConnectWsAsync(server, deviceId),
            Transport.HubJson => ConnectHubAsync(server, deviceId, messagePack: false),
            Transport.HubMessagePack => ConnectHubAsync(server, deviceId, messagePack: true),
            _ => Task.FromResult<TestDevice>(HttpDevice.Create(server, deviceId)),
        };
        try
        {
            return new DeviceConnection(await connecting.WaitAsync(timeout ?? ConnectTimeout), id, node, transport);
        }
        catch (Exception)
        {
            lock (background)
            {
                background.Add(DisposeWhenConnectedAsync(connecting));
            }

            return null;
        }
    }

    /// <summary>Sends a push and records its result, unless the transport's frames already record it in wire order.</summary>
    public async Task<SyncAck> PushAsync(SyncPush push, TimeSpan timeout)
    {
        var ack = await Device.PushAsync(push).WaitAsync(timeout);
        if (Transport is Transport.HubJson or Transport.HubMessagePack)
        {
            lock (_results)
            {
                _results.Add(new ReceivedAck(ack.AckTimestamp, ack.More, push.RequestId));
            }
        }

        return ack;
    }

    /// <summary>The connection's ack_timestamp sequences, each in the order the client saw it (see <see cref="ConnectionLog"/>).</summary>
    public IEnumerable<ConnectionLog> Logs()
    {
        switch (Transport)
        {
            case Transport.HubJson or Transport.HubMessagePack:
                ReceivedAck[] results;
                lock (_results)
                {
                    results = [.. _results];
                }

                yield return new ConnectionLog(Id, Device.DeviceId, Node, Transport, "live frames", Device.AckFrames);
                yield return new ConnectionLog(Id, Device.DeviceId, Node, Transport, "invocation results", results);
                break;
            default:
                yield return new ConnectionLog(Id, Device.DeviceId, Node, Transport, "frames in wire order", Device.AckFrames);
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Device.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // A connection to a dead or stopped node may not close cleanly; the process end reclaims it.
        }
    }

    private static async Task<TestDevice> ConnectWsAsync(ServerProcess server, string deviceId) => await WsDevice.ConnectAsync(server, deviceId);

    private static async Task<TestDevice> ConnectHubAsync(ServerProcess server, string deviceId, bool messagePack) => await HubDevice.ConnectAsync(server, deviceId, messagePack);

    private static async Task DisposeWhenConnectedAsync(Task<TestDevice> connecting)
    {
        try
        {
            await (await connecting).DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
        }
    }
}
