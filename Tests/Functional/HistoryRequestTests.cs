using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The history requests of docs/protocol.md §4.13 through a real server, over HTTP, the hub (JSON and
/// MessagePack) and the raw WebSocket: a note's versions with who, when and from what; one version's text; the trash; and a
/// restore, which is an ordinary edit.
/// </summary>
public sealed class HistoryRequestTests
{
    private const string Key = "note:trip.md";

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task AnEditedThenDeletedNoteListsItsVersionsAndSitsInTheTrashUntilRestored(string store)
    {
        // Arrange: v1, v2 edited from it, then a delete, by two devices.
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var laptop = HttpDevice.Create(server, "laptop");
        await using var phone = HttpDevice.Create(server, "phone");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await laptop.EditAsync(Key, "v1");
        await phone.PullAsync();
        await phone.EditAsync(Key, "v2, from the phone");
        await laptop.PullAsync();
        await laptop.EditAsync(Key, null);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Act
        var history = await GetAsync<NoteHistory>(laptop, $"sync/history?device_id=laptop&key={Uri.EscapeDataString(Key)}");
        var first = history.Versions[^1];
        var v1 = await GetAsync<NoteVersion>(laptop, $"sync/version?device_id=laptop&key={Uri.EscapeDataString(Key)}&timestamp={first.Timestamp}&version_device_id=laptop");
        var trash = await GetAsync<TrashList>(laptop, "sync/trash?device_id=laptop");

        // Assert: newest first, each naming its writer, its commit time and what it was edited from.
        Assert.Equal([("laptop", true, true), ("phone", false, false), ("laptop", false, false)], history.Versions.Select(v => (v.DeviceId, v.Deleted, v.Head)));
        Assert.All(history.Versions, v => Assert.InRange(v.CommittedAt, before - 1000, after + 1000));
        Assert.Equal((history.Versions[1].Timestamp, "phone"), (history.Versions[0].Base!.Single().Timestamp, history.Versions[0].Base!.Single().DeviceId));
        Assert.Empty(first.Base!);
        Assert.Equal(("v1", 2L), (v1.Value, v1.Version.Bytes));
        var trashed = Assert.Single(trash.Notes);
        Assert.Equal((Key, "laptop", "v2, from the phone", "phone"), (trashed.Key, trashed.Deleted.DeviceId, trashed.Last!.Value, trashed.Last.DeviceId));

        // Act 2: restore, an edit of the delete with the last text.
        await laptop.EditAsync(Key, trashed.Last.Value);

        // Assert 2: out of the trash, the text back, and the restore a version of its own.
        Assert.Empty((await GetAsync<TrashList>(laptop, "sync/trash?device_id=laptop")).Notes);
        await phone.PullAsync();
        Assert.Equal("v2, from the phone", phone.ValueOf(Key));
        Assert.Equal(4, (await GetAsync<NoteHistory>(phone, $"sync/history?device_id=phone&key={Uri.EscapeDataString(Key)}")).Versions.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheHubAnswersTheSameRequests(bool messagePack)
    {
        await using var server = await InProcessServer.StartAsync();
        await using var device = await HubDevice.ConnectAsync(server, "laptop", messagePack);
        await device.PullAsync();
        await device.EditAsync(Key, "v1");
        await device.EditAsync(Key, "v2");
        await device.EditAsync(Key, null);

        var history = await device.Connection.InvokeAsync<NoteHistory>("History", Key);
        var v1 = await device.Connection.InvokeAsync<NoteVersion>("Version", Key, history.Versions[^1].Timestamp, "laptop");
        var trash = await device.Connection.InvokeAsync<TrashList>("Trash");
        var missing = await Assert.ThrowsAsync<HubException>(() => device.Connection.InvokeAsync<NoteVersion>("Version", Key, 999_999L, "laptop"));

        Assert.Equal(3, history.Versions.Count);
        Assert.Equal("v1", v1.Value);
        Assert.Equal("v2", Assert.Single(trash.Notes).Last!.Value);
        Assert.EndsWith($"not_found: the history of {Key} holds no version (999999, laptop)", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRawWebSocketAnswersTheSameRequestsByRequestId()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var device = await WsDevice.ConnectAsync(server, "laptop");
        await device.PullAsync();
        await device.EditAsync(Key, "v1");
        await device.EditAsync(Key, "v2");
        await device.EditAsync(Key, null);

        var history = Assert.IsType<NoteHistory>(await device.SendAndWaitAsync($$"""{"type":"history","key":"{{Key}}","request_id":"h1"}""", "h1"));
        var first = history.Versions[^1];
        var v1 = Assert.IsType<NoteVersion>(await device.SendAndWaitAsync($$"""{"request_id":"h2","type":"version","key":"{{Key}}","timestamp":{{first.Timestamp}},"device_id":"laptop"}""", "h2"));
        var trash = Assert.IsType<TrashList>(await device.SendAndWaitAsync("""{"type":"trash","request_id":"h3"}""", "h3"));
        var missing = Assert.IsType<ErrorFrame>(await device.SendAndWaitAsync($$"""{"type":"version","key":"{{Key}}","timestamp":999999,"device_id":"laptop","request_id":"h4"}""", "h4"));
        var malformed = Assert.IsType<ErrorFrame>(await device.SendAndWaitAsync("""{"type":"version","key":"note:trip.md","device_id":"laptop","request_id":"h5"}""", "h5"));

        Assert.Equal(("h1", 3), (history.RequestId, history.Versions.Count));
        Assert.Equal(("h2", "v1"), (v1.RequestId, v1.Value));
        Assert.Equal("v2", Assert.Single(trash.Notes).Last!.Value);
        Assert.Equal(ErrorCodes.NotFound, missing.Code);
        Assert.Equal((ErrorCodes.BadRequest, "timestamp is required"), (malformed.Code, malformed.Message));

        // The connection goes on syncing.
        await device.EditAsync("note:after.md", "still here");
    }

    [Fact]
    public async Task AVersionTheHistoryDoesNotHoldIs404AndABadKeyIs400()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var device = HttpDevice.Create(server, "laptop");
        await device.EditAsync(Key, "v1");

        var missing = await device.Http.GetAsync($"sync/version?device_id=laptop&key={Uri.EscapeDataString(Key)}&timestamp=999&version_device_id=laptop");
        var badKey = await device.Http.GetAsync("sync/history?device_id=laptop&key=trip.md");
        var badTimestamp = await device.Http.GetAsync($"sync/version?device_id=laptop&key={Uri.EscapeDataString(Key)}&timestamp=x&version_device_id=laptop");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(ErrorCodes.NotFound, (await missing.Content.ReadFromJsonAsync<ErrorFrame>(NoteSyncJsonContext.Wire.ErrorFrame))!.Code);
        Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
        Assert.Contains("key must be 'note:<path>'", await badKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badTimestamp.StatusCode);
    }

    [Fact]
    public async Task AnotherSpaceSeesNoneOfIt()
    {
        await using var server = await InProcessServer.StartAsync(TestTokens.Settings());
        await using var alice = HttpDevice.Create(server, "alice-laptop", TestTokens.Mint("alice"));
        await using var bob = HttpDevice.Create(server, "bob-laptop", TestTokens.Mint("bob"));
        await alice.EditAsync(Key, "alice's plans");
        await alice.EditAsync(Key, null);

        var history = await GetAsync<NoteHistory>(bob, $"sync/history?device_id=bob-laptop&key={Uri.EscapeDataString(Key)}");
        var trash = await GetAsync<TrashList>(bob, "sync/trash?device_id=bob-laptop");
        var unsigned = await new HttpClient { BaseAddress = server.BaseUri }.GetAsync("sync/trash?device_id=anyone");

        Assert.Empty(history.Versions);
        Assert.Empty(trash.Notes);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
    }

    private static async Task<T> GetAsync<T>(HttpDevice device, string path)
    {
        var response = await device.Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return (T)System.Text.Json.JsonSerializer.Deserialize(body, typeof(T), NoteSyncJsonContext.Wire)!;
    }
}
