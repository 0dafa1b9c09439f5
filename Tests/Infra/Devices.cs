namespace NoteSync.Tests.Infra;

/// <summary>A test device on a transport named as the theories name them: ws, hub-json, hub-msgpack, http.</summary>
internal static class Devices
{
    public static async Task<TestDevice> ConnectAsync(ITestServer server, string transport, string deviceId) => transport switch
    {
        "ws" => await WsDevice.ConnectAsync(server, deviceId),
        "hub-json" => await HubDevice.ConnectAsync(server, deviceId, messagePack: false),
        "hub-msgpack" => await HubDevice.ConnectAsync(server, deviceId, messagePack: true),
        "http" => HttpDevice.Create(server, deviceId),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
    };
}
