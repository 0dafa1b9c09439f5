using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Infra;

/// <summary>
/// Invokes the hub's <c>Push</c> with a push given as JSON text, field for field as written (missing,
/// extra or ill-typed fields included), over the JSON protocol or the MessagePack one. The typed
/// clients cannot send what a buggy or foreign client sends: they always write every field of a
/// <see cref="SyncPush"/>, with its declared type.
/// </summary>
internal sealed class UntypedHubPusher : IAsyncDisposable
{
    private readonly RawHubClient? _json;
    private readonly HubDevice? _messagePack;

    private UntypedHubPusher(RawHubClient? json, HubDevice? messagePack)
    {
        _json = json;
        _messagePack = messagePack;
    }

    public static async Task<UntypedHubPusher> ConnectAsync(ITestServer server, string deviceId, bool messagePack) =>
        messagePack
            ? new UntypedHubPusher(null, await HubDevice.ConnectAsync(server, deviceId, messagePack: true))
            : new UntypedHubPusher(await RawHubClient.ConnectAsync(server, deviceId), null);

    /// <summary>Pushes <paramref name="pushJson"/>: null when it was acknowledged, else the invocation's error message.</summary>
    public async Task<string?> PushAsync(string pushJson)
    {
        try
        {
            if (_json is not null)
            {
                await _json.InvokeRawAsync("Push", $"[{pushJson}]");
            }
            else
            {
                await _messagePack!.Connection.InvokeCoreAsync<SyncAck>("Push", [ToMessagePackValue(JsonNode.Parse(pushJson))]).WaitAsync(TestDevice.DefaultTimeout);
            }

            return null;
        }
        catch (Exception ex) when (ex is HubException or InvalidOperationException)
        {
            return ex.Message;
        }
    }

    // Maps and arrays of the runtime types the client's MessagePack resolver writes as themselves:
    // a JSON null becomes nil, an integer an int, a fraction a float64.
    private static object? ToMessagePackValue(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToMessagePackValue(p.Value), StringComparer.Ordinal),
        JsonArray a => a.Select(ToMessagePackValue).ToArray(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when v.TryGetValue<long>(out var integer) => integer,
            JsonValueKind.Number => v.GetValue<double>(),
            var kind => throw new ArgumentException($"unexpected JSON value kind {kind}"),
        },
        _ => throw new ArgumentException($"unexpected JSON node {node.GetType()}"),
    };

    public async ValueTask DisposeAsync()
    {
        if (_json is not null)
        {
            await _json.DisposeAsync();
        }

        if (_messagePack is not null)
        {
            await _messagePack.DisposeAsync();
        }
    }
}
