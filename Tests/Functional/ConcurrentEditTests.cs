using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Edits that carry their <c>base</c> (docs/protocol.md §2.2) through a real server, on both stores and every
/// transport: two devices that edited the same version without seeing each other are both kept, whatever
/// their clocks and whichever comes back first, and one edit naming both resolves it everywhere.
/// </summary>
public sealed class ConcurrentEditTests
{
    public static TheoryData<string, string, string, bool> TrainScenarios
    {
        get
        {
            // Each transport once on the laptop and once on the phone, both clock orders, both stores.
            (string, string)[] pairs = [("ws", "hub-msgpack"), ("hub-json", "http"), ("http", "ws"), ("hub-msgpack", "hub-json")];
            var data = new TheoryData<string, string, string, bool>();
            foreach (var store in TestStores.All)
            {
                foreach (var (laptop, phone) in pairs)
                {
                    data.Add(store, laptop, phone, true);
                    data.Add(store, laptop, phone, false);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TrainScenarios))]
    public async Task EditsThatDidNotSeeEachOtherAreBothKeptAndOneEditResolvesThem(string store, string laptopTransport, string phoneTransport, bool laptopClockAhead)
    {
        // Arrange: both devices hold v1 of trip.md.
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var laptop = await Devices.ConnectAsync(server, laptopTransport, "laptop");
        await using var phone = await Devices.ConnectAsync(server, phoneTransport, "phone");
        await laptop.EditAsync("note:trip.md", "v1");
        await phone.PullAsync();
        Assert.Equal("v1", phone.ValueOf("note:trip.md"));
        var v1 = laptop.StateOf("note:trip.md")!.Winner.Timestamp;

        // Act 1: the laptop edits on the train (unsent); the phone edits online; then the laptop comes back.
        // The edit with the higher timestamp would have replaced the other under the timestamp rule.
        var onTrain = laptop.EditOf("note:trip.md", "laptop's edit", timestamp: laptopClockAhead ? v1 + 500 : v1 + 1);
        await phone.EditAsync("note:trip.md", "phone's edit", timestamp: laptopClockAhead ? v1 + 1 : v1 + 500);
        var answer = await laptop.PushAsync(laptop.NewPush(onTrain));
        await phone.PullAsync();
        await using var fresh = await Devices.ConnectAsync(server, "ws", "fresh");
        await fresh.PullAsync();

        // Assert 1: both edits are heads on every device; the higher timestamp shows, the other is its sibling.
        var (winner, sibling) = laptopClockAhead ? ("laptop's edit", "phone's edit") : ("phone's edit", "laptop's edit");
        var sent = Assert.Single(answer.Changes, c => c.Key == "note:trip.md");
        Assert.True(sent.Conflict, "the laptop's answer names the conflict");
        foreach (var device in new[] { laptop, phone, fresh })
        {
            var state = device.StateOf("note:trip.md")!;
            Assert.True(state.IsConflict, $"{device.DeviceId} sees the conflict");
            Assert.Equal(winner, state.Winner.Value);
            Assert.Equal(sibling, Assert.Single(state.Siblings).Value);
        }

        // Act 2: the phone merges the two by hand; the laptop then sends its train edit once more.
        await phone.EditAsync("note:trip.md", "both edits");
        var again = await laptop.PushAsync(laptop.NewPush(onTrain));
        await laptop.PullAsync();
        await fresh.PullAsync();

        // Assert 2: resolved on every device, and the re-sent edit, which the resolution replaced, stays replaced.
        Assert.Equal("both edits", Assert.Single(again.Changes, c => c.Key == "note:trip.md").Value);
        foreach (var device in new[] { laptop, phone, fresh })
        {
            var state = device.StateOf("note:trip.md")!;
            Assert.False(state.IsConflict, $"{device.DeviceId} still sees a conflict");
            Assert.Equal("both edits", state.Winner.Value);
            Assert.Equal(1, state.Writes.Length);
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task AWriteWithoutBaseReplacesEverythingBelowItsTimestampAndIsKeptBesideAnEditItDidNotSee(string store)
    {
        // Arrange: a script of the original protocol and a device that sends base, both holding "first".
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var script = await Devices.ConnectAsync(server, "http", "script");
        await using var editor = await Devices.ConnectAsync(server, "http", "editor");
        await editor.EditAsync("note:log.md", "first");
        await script.PullAsync();

        // Act: the editor edits "first" at 50; the script, not having seen that, writes at 49 without base;
        // then at 900; the editor's next edit, made before it saw the 900, arrives last.
        await editor.EditAsync("note:log.md", "editor's line", timestamp: 50);
        var below = await script.PutAsync("note:log.md", "script's old line", timestamp: 49);
        var late = editor.EditOf("note:log.md", "editor's second line", timestamp: 60);
        await script.PutAsync("note:log.md", "script's line", timestamp: 900);
        var answer = await editor.PushAsync(editor.NewPush(late));

        // Assert: the write at 49 did not see the edit at 50, so both are kept, whichever came first (under
        // the timestamp rule alone the script's would have been dropped); the one at 900 replaces every
        // version below it, an edit with base included, as a write without base always has.
        var conflict = Assert.Single(below.Changes, c => c.Key == "note:log.md");
        Assert.Equal(("editor's line", 50L), (conflict.Value, conflict.Timestamp));
        Assert.Equal(("script's old line", 49L), (conflict.Conflicts![0].Value, conflict.Conflicts[0].Timestamp));
        var back = Assert.Single(answer.Changes, c => c.Key == "note:log.md");
        Assert.Equal(("script's line", 900L, false), (back.Value, back.Timestamp, back.Conflict));
        Assert.Null(back.Replaced);
        Assert.Null(back.Also);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("hub-json")]
    [InlineData("hub-msgpack")]
    [InlineData("http")]
    public async Task ABaseThatIsNotAListOfEarlierVersionsIsRefusedByName(string transport)
    {
        await using var server = await InProcessServer.StartAsync();
        await using var device = await Devices.ConnectAsync(server, transport, "d");
        await device.PullAsync();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => device.PushAsync(device.NewPush(new Change
        {
            Key = "note:x",
            Value = "v",
            Timestamp = 5,
            Base = [new VersionRef { Timestamp = 5, DeviceId = "other" }],
        })));

        Assert.Contains("changes[0].base[0].timestamp must be at least 1 and below the change's timestamp 5", error.Message, StringComparison.Ordinal);
    }
}
