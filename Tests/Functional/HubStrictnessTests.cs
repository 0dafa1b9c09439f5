using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The hub reads a push as strictly as the raw WebSocket does, on JSON and on MessagePack: a change
/// without <c>value</c>, or a field of the wrong type, fails the invocation with the raw reader's
/// text and nothing of the push is applied; an explicit null <c>value</c> is a delete. And a hub
/// message over <c>MaxMessageBytes</c> ends the connection without being applied.
/// </summary>
public sealed class HubStrictnessTests
{
    // What SignalR puts before a HubException's message on its way to the client.
    private const string Refused = "An unexpected error occurred invoking 'Push' on the server. HubException: bad_request: ";

    // SignalR's Close message for a connection it ends on an error, detailed errors being off.
    private const string SignalRCloseError = "Connection closed with an error.";

    /// <summary>Pushes that a lax reader would apply (each writes note:a), and the raw reader's answer to each.</summary>
    public static readonly (string Push, string Message)[] IllFormedPushes =
    [
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":5,"timestamp":100}]}""", "changes[0].value must be a string or null"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":true,"timestamp":100}]}""", "changes[0].value must be a string or null"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":{"text":"x"},"timestamp":100}]}""", "changes[0].value must be a string or null"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":["x"],"timestamp":100}]}""", "changes[0].value must be a string or null"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":"100"}]}""", "changes[0].timestamp must be an integer in 1..2^53-1"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":100.5}]}""", "changes[0].timestamp must be an integer in 1..2^53-1"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":null}]}""", "changes[0].timestamp must be an integer in 1..2^53-1"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":true}]}""", "changes[0].timestamp must be an integer in 1..2^53-1"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x"}]}""", "changes[0].timestamp is required"),
        ("""{"type":"sync_push","changes":[{"value":"x","timestamp":100}]}""", "changes[0].key is required"),
        ("""{"type":"sync_push","changes":[{"key":7,"value":"x","timestamp":100}]}""", "changes[0].key must be a string"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":100,"device_id":7}]}""", "changes[0].device_id must be a string"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":100},{"key":"note:b","timestamp":100}]}""", "changes[1].value is required (null for a delete)"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":100},5]}""", "changes[1] must be an object"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":100}],"last_ack":"0"}""", "last_ack must be an integer in 0..2^53-1"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":100}],"last_ack":-1}""", "last_ack must be an integer in 0..2^53-1"),
        ("""{"type":"sync_push","changes":[{"key":"note:a","value":"x","timestamp":100}],"request_id":5}""", "request_id must be a string"),
        ("""{"type":5,"changes":[{"key":"note:a","value":"x","timestamp":100}]}""", "type must be a string"),
        ("""{"type":"sync_ack","changes":[{"key":"note:a","value":"x","timestamp":100}]}""", "unknown type 'sync_ack' (expected 'sync_push')"),
        ("""{"type":"sync_push","changes":5}""", "changes must be an array"),
        ("""{"type":"sync_push","changes":null}""", "changes must be an array"),
        ("""{"type":"sync_push","change":[{"key":"note:a","value":"x","timestamp":100}]}""", "changes is required (an empty array for a pure pull)"),
    ];

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task ChangeWithoutValueIsRefusedAsOnTheRawWebSocketAndAnExplicitNullDeletes(string store, bool messagePack)
    {
        // Arrange: a note, a watcher, and a raw WebSocket device to compare answers with.
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PutAsync("note:a", "keep");
        await using var raw = await WsDevice.ConnectAsync(server, "raw");
        await using var hub = await UntypedHubPusher.ConnectAsync(server, "hub", messagePack);
        const string Typo = """{"type":"sync_push","changes":[{"key":"note:a","content":"edited","timestamp":100}]}""";

        // Act: the typo of a client that names the field `content`.
        var refusal = await hub.PushAsync(Typo);
        await raw.SendTextAsync(Typo);
        var rawError = await raw.NextUnansweredErrorAsync();

        // Assert: refused with the raw reader's text, and the note is still there.
        Assert.Equal("changes[0].value is required (null for a delete)", rawError.Message);
        Assert.Equal(Refused + rawError.Message, refusal);
        await using (var fresh = await WsDevice.ConnectAsync(server, "fresh"))
        {
            await fresh.PullAsync();
            Assert.Equal("keep", fresh.ValueOf("note:a"));
        }

        // An explicit null is a delete: written as such, and from the typed client of the protocol.
        Assert.Null(await hub.PushAsync("""{"changes":[{"key":"note:a","value":null,"timestamp":101}]}"""));
        await watcher.WaitForValueAsync("note:a", null);
        await watcher.PutAsync("note:b", "keep too");
        await using (var typed = await HubDevice.ConnectAsync(server, "typed", messagePack))
        {
            await typed.PullAsync();
            await typed.PutAsync("note:b", null);
        }

        await watcher.WaitForValueAsync("note:b", null);
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task IllTypedOrMissingFieldsAreRefusedWithTheRawReadersTextAndNothingIsApplied(string store, bool messagePack)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PutAsync("note:a", "keep");
        await using var raw = await WsDevice.ConnectAsync(server, "raw");
        await using var hub = await UntypedHubPusher.ConnectAsync(server, "hub", messagePack);

        foreach (var (push, message) in IllFormedPushes)
        {
            var refusal = await hub.PushAsync(push);
            await raw.SendTextAsync(push);
            var rawError = await raw.NextUnansweredErrorAsync();

            Assert.Equal(message, rawError.Message);
            Assert.True(Refused + message == refusal, $"{push}: {refusal ?? "acknowledged"}");
        }

        // Nothing of any of them was applied, and the same hub connection still syncs.
        Assert.Null(await hub.PushAsync("""{"changes":[{"key":"note:after","value":"ok","timestamp":200}],"last_ack":null,"request_id":null,"type":null}"""));
        await watcher.WaitForValueAsync("note:after", "ok");
        await using (var fresh = await WsDevice.ConnectAsync(server, "fresh"))
        {
            await fresh.PullAsync();
            Assert.Equal("keep", fresh.ValueOf("note:a"));
            Assert.Null(fresh.StateOf("note:b"));
        }

        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task HubMessageOverMaxMessageBytesClosesTheConnectionAndNothingOfItIsApplied(string store, bool messagePack)
    {
        // Arrange: the default limit, 16 MiB, and a push of 18 notes just under MaxValueBytes each: 17.7 MB.
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PullAsync();
        await using var other = await HubDevice.ConnectAsync(server, "other", messagePack);
        var value = new string('x', 983_000);
        var changes = Enumerable.Range(0, 18).Select(i => new Change { Key = $"note:big/{i}", Value = value, Timestamp = 100 + i }).ToList();

        if (messagePack)
        {
            // The .NET client: the invocation fails and the connection closes with SignalR's error.
            await using var big = await HubDevice.ConnectAsync(server, "big", messagePack: true);
            var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            big.Connection.Closed += ex =>
            {
                closed.TrySetResult(ex);
                return Task.CompletedTask;
            };

            var outcome = await Record.ExceptionAsync(() => big.Connection.InvokeAsync<SyncAck>("Push", new SyncPush { Changes = changes }).WaitAsync(TestDevice.DefaultTimeout));

            Assert.NotNull(outcome);
            Assert.IsNotType<TimeoutException>(outcome);
            var reason = await closed.Task.WaitAsync(TestDevice.DefaultTimeout);
            Assert.Equal(HubConnectionState.Disconnected, big.Connection.State);

            // Unless the end of the send raced the close into a reset.
            Assert.True(reason is not HubException hub || hub.Message == "The server closed the connection with the following error: " + SignalRCloseError, reason?.ToString());
        }
        else
        {
            // The wire: SignalR's Close message with its error, then the end of the WebSocket.
            await using var big = await RawHubClient.ConnectAsync(server, "big");
            var push = new StringBuilder("{\"changes\":[");
            push.AppendJoin(',', changes.Select(c => $"{{\"key\":\"{c.Key}\",\"value\":\"{c.Value}\",\"timestamp\":{c.Timestamp}}}"));
            push.Append("]}");
            Assert.InRange(push.Length, 17_600_000, 17_800_000);

            var outcome = await Record.ExceptionAsync(() => big.InvokeRawAsync("Push", $"[{push}]"));

            Assert.NotNull(outcome);
            Assert.IsNotType<TimeoutException>(outcome);
            var close = await big.Closed.WaitAsync(TestDevice.DefaultTimeout);
            Assert.True(close.Reset || (close.CloseMessage && close.Error == SignalRCloseError), close.ToString());
        }

        // Assert: nothing of it is in, and everyone else still syncs.
        await using (var fresh = await WsDevice.ConnectAsync(server, "fresh"))
        {
            await fresh.PullAsync();
            Assert.DoesNotContain(fresh.Snapshot().Keys, k => k.StartsWith("note:big/", StringComparison.Ordinal));
        }

        await ServerAssert.StillSyncsAsync(other, watcher);
        await ServerAssert.HealthyAsync(server);
    }
}
