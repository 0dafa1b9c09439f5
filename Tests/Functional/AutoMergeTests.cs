using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The automatic merge of docs/protocol.md §2.3 through a real server: edits that did not see each other and
/// changed different lines become one note holding both, on every device, with both originals in the history;
/// edits of the same lines stay a conflict; the setting turns it off.
/// </summary>
public sealed class AutoMergeTests
{
    private const string Key = "note:trip.md";
    private const string Trip = "# Trip\nDay 1: Lyon\nDay 2: Annecy\nDay 3: Geneva\nPack: boots\n";

    public static TheoryData<string, string, string> Pairs
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var store in TestStores.All)
            {
                data.Add(store, "ws", "hub-msgpack");
                data.Add(store, "http", "ws");
            }

            data.Add(TestStores.Sqlite, "hub-json", "http");
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task EditsOfDifferentLinesAreMergedOnEveryDeviceAndBothOriginalsStayInTheHistory(string store, string laptopTransport, string phoneTransport)
    {
        // Arrange: both hold the trip; the laptop edits day 1 on the train, the phone the packing line online.
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var laptop = await Devices.ConnectAsync(server, laptopTransport, "laptop");
        await using var phone = await Devices.ConnectAsync(server, phoneTransport, "phone");
        await laptop.EditAsync(Key, Trip);
        await phone.PullAsync();
        var onTrain = laptop.EditOf(Key, Trip.Replace("Day 1: Lyon", "Day 1: Lyon, the old town", StringComparison.Ordinal));
        await phone.EditAsync(Key, Trip.Replace("Pack: boots", "Pack: boots, rain coat", StringComparison.Ordinal), timestamp: 500);

        // Act: the laptop comes back.
        var answer = await laptop.PushAsync(laptop.NewPush(onTrain));
        await phone.PullAsync();
        await using var fresh = await Devices.ConnectAsync(server, "ws", "fresh");
        await fresh.PullAsync();

        // Assert: one note holding both edits, written by the server's merge, on every device; the laptop
        // learnt it from its own answer.
        const string both = "# Trip\nDay 1: Lyon, the old town\nDay 2: Annecy\nDay 3: Geneva\nPack: boots, rain coat\n";
        var merged = Assert.Single(answer.Changes, c => c.Key == Key);
        Assert.Equal((both, DeviceIds.Merge, Math.Max(onTrain.Timestamp, 500) + 1, false), (merged.Value, merged.DeviceId, merged.Timestamp, merged.Conflict));
        foreach (var device in new[] { laptop, phone, fresh })
        {
            var state = device.StateOf(Key)!;
            Assert.Equal((both, false), (state.Winner.Value, state.IsConflict));
        }

        await using var reader = HttpDevice.Create(server, "reader");
        var history = await reader.Http.GetStringAsync($"sync/history?device_id=reader&key={Uri.EscapeDataString(Key)}");
        Assert.Contains("\"device_id\":\"phone\"", history, StringComparison.Ordinal);
        Assert.Contains($"\"timestamp\":{onTrain.Timestamp},\"device_id\":\"laptop\"", history, StringComparison.Ordinal);
    }

    /// <summary>
    /// The embedded store writes the merge in the edit's own commit (docs/architecture.md, History), so a
    /// live device is sent the merged note and never the conflict before it; with Redis the merge is a
    /// second commit, and a device may see the conflict for that long.
    /// </summary>
    [Theory]
    [InlineData("ws")]
    [InlineData("hub-msgpack")]
    public async Task OnTheEmbeddedStoreALiveDeviceIsSentTheMergeAndNeverTheConflict(string transport)
    {
        // Arrange: a tablet listening live while the laptop comes back from the train.
        await using var server = await InProcessServer.StartAsync();
        await using var laptop = await Devices.ConnectAsync(server, "http", "laptop");
        await using var phone = await Devices.ConnectAsync(server, "http", "phone");
        await using var tablet = await Devices.ConnectAsync(server, transport, "tablet");
        await laptop.EditAsync(Key, Trip);
        await phone.PullAsync();
        await tablet.PullAsync();
        var seen = new List<Change>();
        tablet.AckObserver = ack =>
        {
            lock (seen)
            {
                seen.AddRange(ack.Changes.Where(c => c.Key == Key));
            }
        };
        var onTrain = laptop.EditOf(Key, Trip.Replace("Day 1: Lyon", "Day 1: Dijon", StringComparison.Ordinal));
        await phone.EditAsync(Key, Trip.Replace("Pack: boots", "Pack: sandals", StringComparison.Ordinal), timestamp: 500);

        // Act
        var answer = await laptop.PushAsync(laptop.NewPush(onTrain));
        await tablet.WaitUntilAsync(t => t.StateOf(Key)?.Winner.DeviceId == DeviceIds.Merge, "the merged note");

        // Assert: the phone's edit, then the merge; no frame carried the two edits as a conflict.
        Assert.Equal(DeviceIds.Merge, Assert.Single(answer.Changes, c => c.Key == Key).DeviceId);
        lock (seen)
        {
            Assert.Equal(["phone", DeviceIds.Merge], seen.Select(c => c.DeviceId));
            Assert.DoesNotContain(seen, c => c.Conflict);
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task EditsOfTheSameLineStayAConflictWithAMergeSuggestionOnEveryTransport(string store)
    {
        // Arrange
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var laptop = await Devices.ConnectAsync(server, "http", "laptop");
        await using var phone = await Devices.ConnectAsync(server, "http", "phone");
        await laptop.EditAsync(Key, Trip);
        await phone.PullAsync();
        var onTrain = laptop.EditOf(Key, Trip.Replace("Day 2: Annecy", "Day 2: Chamonix", StringComparison.Ordinal).Replace("Pack: boots", "Pack: skis", StringComparison.Ordinal));
        await phone.EditAsync(Key, Trip.Replace("Day 2: Annecy", "Day 2: rest", StringComparison.Ordinal), timestamp: 500);

        // Act
        var answer = await laptop.PushAsync(laptop.NewPush(onTrain));
        var overHttp = System.Text.Json.JsonSerializer.Deserialize(
            await ((HttpDevice)laptop).Http.GetStringAsync($"sync/merge?device_id=laptop&key={Uri.EscapeDataString(Key)}"), NoteSyncJsonContext.Wire.MergeSuggestion)!;
        await using var ws = await WsDevice.ConnectAsync(server, "tablet");
        var overWebSocket = Assert.IsType<MergeSuggestion>(await ws.SendAndWaitAsync($$"""{"type":"merge","key":"{{Key}}","request_id":"m1"}""", "m1"));
        await using var hub = await HubDevice.ConnectAsync(server, "desktop", messagePack: true);
        var overHub = await hub.Connection.InvokeAsync<MergeSuggestion>("Merge", Key);

        // Assert: still a conflict; the suggestion takes the line only one side changed, marks the one both
        // changed, and names both heads (the higher timestamp first) as the base to write the result with.
        var state = Assert.Single(answer.Changes, c => c.Key == Key);
        Assert.True(state.Conflict);
        Assert.NotEqual(DeviceIds.Merge, state.DeviceId);
        var (winner, sibling) = onTrain.Timestamp > 500 ? ("laptop", "phone") : ("phone", "laptop");
        var (winnerLine, siblingLine) = winner == "laptop" ? ("Day 2: Chamonix", "Day 2: rest") : ("Day 2: rest", "Day 2: Chamonix");
        var expected = $"# Trip\nDay 1: Lyon\n<<<<<<< {winner}\n{winnerLine}\n=======\n{siblingLine}\n>>>>>>> {sibling}\nDay 3: Geneva\nPack: skis\n";
        foreach (var suggestion in new[] { overHttp, overWebSocket, overHub })
        {
            Assert.Equal((Key, false, expected), (suggestion.Key, suggestion.Clean, suggestion.Value));
            Assert.Equal([winner, sibling], suggestion.Base.Select(b => b.DeviceId));
        }

        // And the person's finished text, written from both heads, resolves it.
        await laptop.PullAsync();
        await laptop.EditAsync(Key, expected.Replace("<<<<<<< laptop\n", "", StringComparison.Ordinal));
        Assert.False(laptop.StateOf(Key)!.IsConflict);
    }

    [Fact]
    public async Task WithTheSettingOffEditsOfDifferentLinesStayAConflict()
    {
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Sync__AutoMerge"] = "false" });
        await using var laptop = await Devices.ConnectAsync(server, "http", "laptop");
        await using var phone = await Devices.ConnectAsync(server, "http", "phone");
        await laptop.EditAsync(Key, Trip);
        await phone.PullAsync();
        var onTrain = laptop.EditOf(Key, Trip.Replace("Day 1: Lyon", "Day 1: Dijon", StringComparison.Ordinal));
        await phone.EditAsync(Key, Trip.Replace("Pack: boots", "Pack: sandals", StringComparison.Ordinal));

        var answer = await laptop.PushAsync(laptop.NewPush(onTrain));

        Assert.True(Assert.Single(answer.Changes, c => c.Key == Key).Conflict);
    }

    [Fact]
    public async Task NoDeviceMayTakeTheServersOwnDeviceId()
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        var response = await http.PostAsync($"sync?device_id={Uri.EscapeDataString(DeviceIds.Merge)}", new StringContent("""{"type":"sync_push","changes":[]}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must not start with 'notesync:'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
