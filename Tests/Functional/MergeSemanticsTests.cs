using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>The merge rule of docs/protocol.md §2 as devices see it through a real server.</summary>
public sealed class MergeSemanticsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HigherTimestampWinsWhateverTheArrivalOrder(bool newerFirst)
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        await using var a = await WsDevice.ConnectAsync(server, "a");
        await using var b = await HubDevice.ConnectAsync(server, "b", messagePack: true);
        await a.PullAsync();
        await b.PullAsync();

        // Act: "z-old" would win a tie (greater device id), but carries the lower timestamp.
        if (newerFirst)
        {
            await a.PutAsync("note:race", "newer", timestamp: 20);
            await b.PutAsync("note:race", "older", timestamp: 10);
        }
        else
        {
            await b.PutAsync("note:race", "older", timestamp: 10);
            await a.PutAsync("note:race", "newer", timestamp: 20);
        }

        // Assert
        await a.WaitForValueAsync("note:race", "newer");
        await b.WaitForValueAsync("note:race", "newer");
        await using var fresh = await WsDevice.ConnectAsync(server, "fresh");
        await fresh.PullAsync();
        Assert.Equal("newer", fresh.ValueOf("note:race"));
        Assert.False(fresh.StateOf("note:race")!.IsConflict);
    }

    [Fact]
    public async Task LosingWriteIsAnsweredWithTheWinner()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var a = await WsDevice.ConnectAsync(server, "a");
        await using var b = await WsDevice.ConnectAsync(server, "b");
        await a.PutAsync("note:x", "winner", timestamp: 50);

        var ack = await b.PushAsync(b.NewPush(new Change { Key = "note:x", Value = "loser", Timestamp = 40 }));

        var back = Assert.Single(ack.Changes, c => c.Key == "note:x");
        Assert.Equal("winner", back.Value);
        Assert.Equal(50, back.Timestamp);
        Assert.Equal("winner", b.ValueOf("note:x"));
    }

    [Fact]
    public async Task EqualTimestampsMakeAConflictWithSiblingsOnEveryDeviceAndAHigherWriteClearsIt()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        await using var laptop = await WsDevice.ConnectAsync(server, "laptop");
        await using var phone = await HubDevice.ConnectAsync(server, "phone", messagePack: false);
        await laptop.PullAsync();
        await phone.PullAsync();

        // Act
        await laptop.PutAsync("note:plan", "from laptop", timestamp: 7);
        await phone.PutAsync("note:plan", "from phone", timestamp: 7);

        // Assert: the winner is the greater device id, the other write is a sibling, on both devices.
        foreach (var device in new TestDevice[] { laptop, phone })
        {
            await device.WaitUntilAsync(d => d.StateOf("note:plan") is { IsConflict: true }, "the conflict");
            var state = device.StateOf("note:plan")!;
            Assert.Equal("phone", state.Winner.DeviceId);
            Assert.Equal("from phone", state.Winner.Value);
            var sibling = Assert.Single(state.Siblings);
            Assert.Equal(("laptop", "from laptop", 7L), (sibling.DeviceId, sibling.Value, sibling.Timestamp));
        }

        // Act: resolve on the laptop with a higher timestamp.
        await laptop.PutAsync("note:plan", "merged", timestamp: laptop.Clock.Tick());

        // Assert
        await phone.WaitUntilAsync(d => d.StateOf("note:plan") is { IsConflict: false, Winner.Value: "merged" }, "the resolution");
        await using var fresh = HttpDevice.Create(server, "fresh");
        var ack = await fresh.PullAsync();
        var entry = Assert.Single(ack.Changes);
        Assert.False(entry.Conflict);
        Assert.Null(entry.Conflicts);
    }

    [Fact]
    public async Task ConflictIsReportedOnTheWireWithSiblings()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var a = HttpDevice.Create(server, "dev1");
        await using var b = HttpDevice.Create(server, "dev2");
        await a.PutAsync("note:c", "one", timestamp: 3);

        var ack = await b.PutAsync("note:c", "two", timestamp: 3);

        var change = Assert.Single(ack.Changes);
        Assert.True(change.Conflict);
        Assert.Equal("two", change.Value);
        var sibling = Assert.Single(change.Conflicts!);
        Assert.Equal(("one", 3L, "dev1"), (sibling.Value, sibling.Timestamp, sibling.DeviceId));
    }

    [Fact]
    public async Task DeleteWinsLikeAWriteAndAnOlderWriteDoesNotResurrectTheNote()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var a = await WsDevice.ConnectAsync(server, "a");
        await using var b = await WsDevice.ConnectAsync(server, "b");
        await a.PullAsync();
        await b.PullAsync();
        await a.PutAsync("note:old", "content", timestamp: 5);
        await b.WaitForValueAsync("note:old", "content");

        await b.PutAsync("note:old", null, timestamp: 10);
        await a.WaitForValueAsync("note:old", null);
        var late = await a.PushAsync(a.NewPush(new Change { Key = "note:old", Value = "stale edit", Timestamp = 8 }));

        Assert.Null(Assert.Single(late.Changes, c => c.Key == "note:old").Value);
        await using var fresh = await WsDevice.ConnectAsync(server, "fresh");
        var all = await fresh.PullAsync();
        var tombstone = Assert.Single(all.Changes);
        Assert.Null(tombstone.Value);
        Assert.Equal(10, tombstone.Timestamp);
    }

    [Fact]
    public async Task LateNoteWithALowClockReachesLiveDevicesAndDevicesCatchingUp()
    {
        // Arrange: the space's clock is far ahead of the offline device's.
        await using var server = await InProcessServer.StartAsync();
        await using var busy = await WsDevice.ConnectAsync(server, "busy");
        await using var live = await HubDevice.ConnectAsync(server, "live", messagePack: true);
        await live.PullAsync();
        await busy.PutAsync("note:busy", "many edits", timestamp: 1_000_000);
        await live.WaitForValueAsync("note:busy", "many edits");
        var catchingUp = HttpDevice.Create(server, "catching-up");
        await catchingUp.PullAsync();
        var cursorBefore = catchingUp.Cursor;

        // Act: a device back from a week offline, its clock still at 3.
        await using var offline = await WsDevice.ConnectAsync(server, "offline");
        await offline.PushAsync(new() { Changes = [new() { Key = "note:written-on-the-train", Value = "ideas", Timestamp = 3 }], LastAck = 0, RequestId = "w" });

        // Assert
        await live.WaitForValueAsync("note:written-on-the-train", "ideas");
        var ack = await catchingUp.PullAsync();
        Assert.Contains(ack.Changes, c => c.Key == "note:written-on-the-train" && c.Value == "ideas" && c.Timestamp == 3);
        Assert.True(ack.AckTimestamp > cursorBefore);
        await catchingUp.DisposeAsync();
    }

    [Fact]
    public async Task ResendingAPushAfterALostAckChangesNothing()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var a = await WsDevice.ConnectAsync(server, "a");
        var push = a.NewPush(new Change { Key = "note:once", Value = "v", Timestamp = 4 });
        var first = await a.PushAsync(push);

        push.RequestId = "again";
        var second = await a.PushAsync(push);

        Assert.Equal(first.AckTimestamp, second.AckTimestamp);
        Assert.Empty(second.Changes);
    }
}
