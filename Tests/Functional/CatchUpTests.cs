using System.Text.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>Devices that were away catch up from their <c>last_ack</c>, in pages.</summary>
public sealed class CatchUpTests
{
    private static readonly Dictionary<string, string> SmallPages = new()
    {
        ["NoteSync__Sync__MaxChangesPerAck"] = "100",
    };

    [Fact]
    public async Task ReconnectingWebSocketDeviceCatchesUpOnAThousandChangesInPages()
    {
        // Arrange: a device syncs, leaves, and 1,000 notes are written while it is away.
        await using var server = await InProcessServer.StartAsync(SmallPages);
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        long cursorWhenLeaving;
        await using (var leaving = await WsDevice.ConnectAsync(server, "traveller"))
        {
            await leaving.PutAsync("note:before", "seen");
            cursorWhenLeaving = leaving.Cursor;
        }

        for (var batch = 0; batch < 10; batch++)
        {
            await writer.PutManyAsync(Enumerable.Range(batch * 100, 100).Select(i => ($"note:away/{i}", (string?)$"note {i}")));
        }

        // Act: it returns with its old cursor.
        await using var back = await WsDevice.ConnectAsync(server, "traveller");
        var first = await back.PushAsync(new() { LastAck = cursorWhenLeaving, RequestId = "resume" });

        // Assert
        Assert.True(first.More);
        Assert.Equal(100, first.Changes.Count);
        await back.WaitUntilAsync(d => d.Snapshot().Count(kv => kv.Key.StartsWith("note:away/", StringComparison.Ordinal)) == 1000, "all 1,000 notes");
        Assert.Equal("note 999", back.ValueOf("note:away/999"));
        Assert.Null(back.ValueOf("note:before"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SignalRDeviceFollowsMoreUntilItHoldsTheWholeSpace(bool messagePack)
    {
        await using var server = await InProcessServer.StartAsync(SmallPages);
        await using var writer = HttpDevice.Create(server, "writer");
        for (var batch = 0; batch < 5; batch++)
        {
            await writer.PutManyAsync(Enumerable.Range(batch * 100, 100).Select(i => ($"note:n/{i}", (string?)$"v{i}")));
        }

        await using var fresh = await HubDevice.ConnectAsync(server, "fresh", messagePack);
        var last = await fresh.PullAsync();

        Assert.False(last.More);
        Assert.Equal(500, fresh.Snapshot().Count);
        Assert.Equal(writer.Cursor, last.AckTimestamp);
    }

    [Fact]
    public async Task ClientThatIgnoresMoreStillReceivesTheRestAsLivePushes()
    {
        await using var server = await InProcessServer.StartAsync(SmallPages);
        await using var writer = HttpDevice.Create(server, "writer");
        await writer.PutManyAsync(Enumerable.Range(0, 350).Select(i => ($"note:n/{i}", (string?)$"v{i}")));

        await using var lazy = await WsDevice.ConnectAsync(server, "lazy", followMore: false);
        var first = await lazy.PullAsync();

        Assert.True(first.More);
        await lazy.WaitUntilAsync(d => d.Snapshot().Count == 350, "the pages after the first");
        Assert.Equal(writer.Cursor, lazy.Cursor);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task PagesStopAtPageBytesAndANoteLargerThanAPageIsAPageOfItsOwn(string store)
    {
        // Arrange: 64 KiB pages, forty notes of 10,000 characters (about six per page) and, last, one
        // of 200,000 characters.
        const int pageBytes = 64 * 1024;
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string>
        {
            ["NoteSync__Sync__PageBytes"] = pageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await using var writer = HttpDevice.Create(server, "writer");
        await writer.PutManyAsync(Enumerable.Range(0, 40).Select(i => ($"note:n/{i:D2}", (string?)new string('a', 10_000))));
        var beforeLarge = writer.Cursor;
        await writer.PutAsync("note:large", new string('b', 200_000));

        // Act: a new device's first page, then the rest as live pushes.
        await using var fresh = await WsDevice.ConnectAsync(server, "fresh", followMore: false);
        var first = await fresh.PullAsync();
        await fresh.WaitUntilAsync(d => d.Snapshot().Count == 41, "every note");
        await using var late = await WsDevice.ConnectAsync(server, "late");
        var large = await late.PushAsync(new SyncPush { LastAck = beforeLarge, RequestId = "large" });

        // Assert: a page holds one note more than fits in 64 KiB at most, not the whole space; the large
        // note comes alone, whole.
        Assert.True(first.More);
        Assert.InRange(first.Changes.Count, 1, 7);
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(first, NoteSyncJsonContext.Default.SyncAck).Length, 1, pageBytes + 11_000);
        Assert.Equal(new string('b', 200_000), fresh.ValueOf("note:large"));
        Assert.Equal("note:large", Assert.Single(large.Changes).Key);
        Assert.False(large.More);
    }
}
