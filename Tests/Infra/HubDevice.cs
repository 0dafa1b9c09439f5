using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Infra;

/// <summary>A device on the SignalR hub through the official .NET client, JSON or MessagePack.</summary>
internal sealed class HubDevice : TestDevice
{
    private readonly HubConnection _connection;

    private HubDevice(string deviceId, HubConnection connection)
        : base(deviceId)
    {
        _connection = connection;
        _connection.On<SyncAck>("Changes", ack => Apply(ack));
    }

    public HubConnection Connection => _connection;

    /// <summary>
    /// Connects as <paramref name="deviceId"/>, with <paramref name="token"/> (if any) from the client's
    /// access token provider, pinging the server every <paramref name="keepAlive"/> (the client's
    /// default, 15 s, when not given).
    /// </summary>
    public static async Task<HubDevice> ConnectAsync(ITestServer server, string deviceId, bool messagePack, string? token = null, TimeSpan? keepAlive = null)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseUri, $"hubs/sync?device_id={Uri.EscapeDataString(deviceId)}"), o =>
            {
                // No sticky sessions are needed when negotiation is skipped (docs/operations.md).
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                if (token is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            });
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }
        else
        {
            builder.AddJsonProtocol(o => HubJson.Configure(o.PayloadSerializerOptions));
        }

        var device = new HubDevice(deviceId, builder.Build());
        if (keepAlive is { } interval)
        {
            device._connection.KeepAliveInterval = interval;
        }

        await device._connection.StartAsync().WaitAsync(DefaultTimeout);
        return device;
    }

    protected override async Task<SyncAck> SendPushAsync(SyncPush push, CancellationToken cancellationToken)
    {
        var ack = await _connection.InvokeAsync<SyncAck>("Push", push, cancellationToken).WaitAsync(DefaultTimeout, cancellationToken);
        Apply(ack, inWireOrder: false);
        while (ack.More)
        {
            ack = await _connection.InvokeAsync<SyncAck>("Push", new SyncPush { LastAck = ack.AckTimestamp }, cancellationToken).WaitAsync(DefaultTimeout, cancellationToken);
            Apply(ack, inWireOrder: false);
        }

        return ack;
    }

    public override async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
