using System.Globalization;
using System.Text.Json;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// A sibling bomb cannot grow a note without end: writes tied at a note's top timestamp are bounded in
/// number (<c>MaxWritesPerNote</c>) and bytes (<c>MaxNoteBytes</c>), the write past either is refused
/// with <c>too_large</c> while the connection keeps syncing, no frame to a listener or a fresh device
/// exceeds <c>MaxAckBytes</c>, and a higher timestamp still replaces the lot, on both stores.
/// </summary>
public sealed class NoteLimitTests
{
    private static readonly LimitsOptions Limits = new();
    private static readonly long MaxAckBytes = new SyncOptions().MaxAckBytes;

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task TiedWritesStopAtTheBoundsAndNoFrameOutgrowsAnAnswer(string store)
    {
        // Arrange: a listener, live; an attacker on the raw WebSocket; 300 would-be devices over HTTP.
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var listener = await WsDevice.ConnectAsync(server, "listener");
        await listener.PullAsync();
        await using var attacker = await WsDevice.ConnectAsync(server, "attacker");

        // Act 1: values of a million characters tied at timestamp 100, until the byte bound refuses one.
        var big = (int)(Limits.MaxNoteBytes / 4) - 100_000;
        var answers = new List<object>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await attacker.SendAndWaitAsync(Push($"big-{i}", 100, new string((char)('a' + i), big)), $"big-{i}"));
        }

        // Act 2: a few bytes each from HTTP devices, tied too, until the count bound refuses one.
        var refusedOverHttp = new List<string>();
        for (var d = 0; d < 10; d++)
        {
            await using var device = HttpDevice.Create(server, $"http-{d}");
            try
            {
                await device.PushAsync(device.NewPush(new Change { Key = "note:bomb", Value = $"tiny {d}", Timestamp = 100 }));
            }
            catch (HttpRequestException ex)
            {
                refusedOverHttp.Add(ex.Message);
            }
        }

        // Assert: four big values fit the bytes, the fifth is refused; tiny ones fill the count to the bound.
        Assert.All(answers.Take(4), a => Assert.IsType<SyncAck>(a));
        var bytesRefused = Assert.IsType<ErrorFrame>(answers[4]);
        Assert.Equal(ErrorCodes.TooLarge, bytesRefused.Code);
        Assert.Contains("(NoteSync:Limits:MaxNoteBytes)", bytesRefused.Message, StringComparison.Ordinal);
        Assert.Equal(10 - (Limits.MaxWritesPerNote - 4), refusedOverHttp.Count);
        Assert.All(refusedOverHttp, m => Assert.Contains($"more than {Limits.MaxWritesPerNote} versions kept side by side", m, StringComparison.Ordinal));

        // The listener got the note with every tied write, and never a frame over MaxAckBytes.
        await listener.WaitUntilAsync(d => d.StateOf("note:bomb") is { } s && s.Writes.Length == Limits.MaxWritesPerNote, "the bounded note");
        Assert.InRange(listener.LargestMessageBytes, 1, MaxAckBytes);
        Assert.InRange(listener.BytesReceived, 1, Limits.MaxWritesPerNote * MaxAckBytes);

        // A fresh device's pull, likewise; the attacker's connection still syncs; a newer write resolves.
        await using var fresh = await WsDevice.ConnectAsync(server, "fresh");
        await fresh.PullAsync();
        Assert.Equal(Limits.MaxWritesPerNote, fresh.StateOf("note:bomb")!.Writes.Length);
        Assert.InRange(fresh.LargestMessageBytes, 1, MaxAckBytes);
        var resolved = Assert.IsType<SyncAck>(await attacker.SendAndWaitAsync(Push("resolve", 101, "resolved"), "resolve"));
        Assert.True(resolved.AckTimestamp >= 101);
        await listener.WaitUntilAsync(d => d.StateOf("note:bomb") is { } s && s.Writes.Length == 1 && s.Winner.Value == "resolved", "the resolved note");
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task LostWritesEchoOnlyAsManyWinnersAsAnAnswerHolds(string store)
    {
        // Arrange: small answers, and twenty notes of 60,000 characters written high: their winners
        // weigh about five answers.
        const long maxAckBytes = 256 * 1024;
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string>
        {
            ["NoteSync__Sync__MaxAckBytes"] = maxAckBytes.ToString(CultureInfo.InvariantCulture),
            ["NoteSync__Limits__MaxNoteBytes"] = (192 * 1024).ToString(CultureInfo.InvariantCulture),
            ["NoteSync__Limits__MaxValueBytes"] = (64 * 1024).ToString(CultureInfo.InvariantCulture),
        });
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        var keys = Enumerable.Range(0, 20).Select(i => $"note:big-{i}").ToList();
        await writer.PushAsync(writer.NewPush([.. keys.Select(k => new Change { Key = k, Value = new string('w', 60_000), Timestamp = 1_000 })]));
        await using var stale = await WsDevice.ConnectAsync(server, "stale");
        await stale.PullAsync();

        // The pull's answer is its first page; the rest follow as the device asks for them.
        foreach (var k in keys)
        {
            await stale.WaitForValueAsync(k, new string('w', 60_000));
        }

        // Act: the device, in sync, pushes twenty writes that all lose (their timestamps are lower).
        var losing = stale.NewPush([.. keys.Select(k => new Change { Key = k, Value = "old", Timestamp = 1 })]);
        losing.LastAck = stale.Cursor;
        var answer = await stale.PushAsync(losing);

        // Assert: the answer carries winners up to MaxAckBytes, not all of them; the device, which
        // merged them when it pulled, still holds every winner; the connection syncs on.
        Assert.InRange(answer.Changes.Count, 1, keys.Count - 1);
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(answer, NoteSyncJsonContext.Default.SyncAck).Length, 1, maxAckBytes);
        Assert.All(keys, k => Assert.Equal(new string('w', 60_000), stale.ValueOf(k)));
        await writer.PutAsync("note:after", "still syncing");
        await stale.WaitForValueAsync("note:after", "still syncing");
    }

    private static string Push(string requestId, long timestamp, string value) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"type":"sync_push","changes":[{"key":"note:bomb","value":{{JsonSerializer.Serialize(value)}},"timestamp":{{timestamp}}}],"request_id":"{{requestId}}"}""");
}
