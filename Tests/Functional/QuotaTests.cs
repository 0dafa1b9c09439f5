using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// A space cannot grow without end: past <c>MaxNotesPerSpace</c> or <c>MaxSpaceBytes</c> a push that
/// adds notes or bytes is refused with <c>quota_exceeded</c> on every transport (HTTP 507, not 400, so
/// clients keep it), nothing of it applied, while the connection keeps syncing, other spaces write on,
/// and deleting notes makes room again, on both stores.
/// </summary>
public sealed class QuotaTests
{
    private const string NotesMessage = "the space would hold 4 notes, more than NoteSync:Limits:MaxNotesPerSpace (3); delete notes to make room";

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task PushesOverAQuotaAreRefusedOnEveryTransportAndDeletingMakesRoom(string store)
    {
        // Arrange: three notes a space, 4 KiB; the space "team" filled by its three devices.
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__MaxNotesPerSpace"] = "3";
        settings["NoteSync__Limits__MaxSpaceBytes"] = "4096";
        await using var server = await InProcessServer.StartOnStoreAsync(store, settings);
        await using var ws = await WsDevice.ConnectAsync(server, "ws", token: TestTokens.Mint("team"));
        await using var hub = await HubDevice.ConnectAsync(server, "hub", messagePack: true, TestTokens.Mint("team"));
        await using var http = HttpDevice.Create(server, "http", TestTokens.Mint("team"));
        await ws.PutAsync("note:1", "one");
        await hub.PullAsync();
        await hub.PutAsync("note:2", "two");
        await http.PullAsync();
        await http.PutAsync("note:3", "three");

        // Act: a fourth note on each transport.
        var wsRefused = await SendAsync(ws, "note:4", "four") as ErrorFrame;
        var hubRefused = await Assert.ThrowsAsync<HubException>(() => hub.PushAsync(hub.NewPush(Change(hub, "note:4", "four"))));
        var httpRefused = await Assert.ThrowsAsync<HttpRequestException>(() => http.PushAsync(http.NewPush(Change(http, "note:4", "four"))));

        // Assert: the code and the message on each, HTTP 507; nothing of it went in.
        Assert.NotNull(wsRefused);
        Assert.Equal((ErrorCodes.QuotaExceeded, NotesMessage), (wsRefused.Code, wsRefused.Message));
        Assert.EndsWith($"{ErrorCodes.QuotaExceeded}: {NotesMessage}", hubRefused.Message, StringComparison.Ordinal);
        Assert.Equal($"POST /sync answered 507: {ErrorCodes.QuotaExceeded}: {NotesMessage}", httpRefused.Message);

        // A note grown past the bytes quota is refused too, naming the size.
        var tooLong = new string('x', 4096);
        var bytesRefused = Assert.IsType<ErrorFrame>(await SendAsync(ws, "note:1", tooLong));
        Assert.Equal(ErrorCodes.QuotaExceeded, bytesRefused.Code);
        Assert.Matches(@"^the space would hold \d+ bytes, more than NoteSync:Limits:MaxSpaceBytes \(4096\); delete notes or shorten them to make room$", bytesRefused.Message);

        // Every connection keeps syncing: overwrites are taken and reach the others live.
        await ws.PutAsync("note:1", "one, edited");
        await hub.PutAsync("note:2", "two, edited");
        await http.PutAsync("note:3", "three, edited");
        await hub.WaitForValueAsync("note:1", "one, edited");
        await ws.WaitForValueAsync("note:3", "three, edited");

        // Another space is not affected by this one's count.
        await using (var other = HttpDevice.Create(server, "elsewhere", TestTokens.Mint("other")))
        {
            var filled = await other.PutManyAsync([("note:a", "a"), ("note:b", "b"), ("note:c", "c")]);
            Assert.True(filled.AckTimestamp >= 3);
        }

        // Deleting a note makes room for one, on any transport; then the space is full again.
        await hub.PutAsync("note:2", null);
        Assert.IsType<SyncAck>(await SendAsync(ws, "note:4", "four"));
        var full = await Assert.ThrowsAsync<HttpRequestException>(() => http.PushAsync(http.NewPush(Change(http, "note:5", "five"))));
        Assert.Contains("507", full.Message, StringComparison.Ordinal);
        await using var fresh = HttpDevice.Create(server, "fresh", TestTokens.Mint("team"));
        await fresh.PullAsync();
        Assert.Equal(["note:1", "note:3", "note:4"], fresh.Snapshot().Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>Sends one write from <paramref name="ws"/> and returns the answer, an ack or an error frame.</summary>
    private static Task<object> SendAsync(WsDevice ws, string key, string? value)
    {
        var push = ws.NewPush(Change(ws, key, value));
        return ws.SendAndWaitAsync(JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!);
    }

    private static Change Change(TestDevice device, string key, string? value) =>
        new() { Key = key, Value = value, Timestamp = device.Clock.Tick(), DeviceId = device.DeviceId };
}
