using System.Globalization;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Server.Stores;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Hostile timestamps cannot brick a space: a change may lead the space's clock by at most
/// <c>NoteSync:Limits:MaxClockLead</c>, so 2^53-1 or cursor + 10^12 is refused with <c>bad_request</c>
/// (the connection keeps syncing), a hundred pushes at the bound leave the clock small, and honest
/// devices of the space go on writing, on every transport and both stores.
/// </summary>
public sealed class ClockBoundTests
{
    private static readonly long Lead = ClockLimits.Default.MaxLead;

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task HostileTimestampsAreRefusedAndTheSpaceStaysWritableWithSmallClocks(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        await using var attacker = await WsDevice.ConnectAsync(server, "attacker");
        await using var phone = await HubDevice.ConnectAsync(server, "phone", messagePack: false);
        await using var poller = HttpDevice.Create(server, "poller");
        await phone.PutAsync("note:before", "written before the attack");
        var start = (await attacker.PullAsync()).AckTimestamp;

        // 2^53-1 and cursor + 10^12, over the raw WebSocket: refused, naming the change and the bound.
        foreach (var timestamp in new[] { ProtocolLimits.MaxTimestamp, start + 1_000_000_000_000 })
        {
            var refused = Assert.IsType<ErrorFrame>(await attacker.SendAndWaitAsync(Push("r-far", timestamp), "r-far"));
            Assert.Equal(ErrorCodes.BadRequest, refused.Code);
            Assert.StartsWith($"changes[0].timestamp must be at most {start + Lead}: ", refused.Message, StringComparison.Ordinal);
            Assert.Contains("NoteSync:Limits:MaxClockLead", refused.Message, StringComparison.Ordinal);
        }

        // The same over the hub and POST /sync.
        var hubError = await Assert.ThrowsAsync<HubException>(() => phone.PushAsync(phone.NewPush(new Change { Key = "note:hub", Value = "x", Timestamp = ProtocolLimits.MaxTimestamp })));
        Assert.Contains("bad_request", hubError.Message, StringComparison.Ordinal);
        Assert.Contains("changes[0].timestamp must be at most", hubError.Message, StringComparison.Ordinal);
        var httpError = await Assert.ThrowsAsync<HttpRequestException>(() => poller.PushAsync(poller.NewPush(new Change { Key = "note:http", Value = "x", Timestamp = ProtocolLimits.MaxTimestamp })));
        Assert.Contains("400", httpError.Message, StringComparison.Ordinal);
        Assert.Contains("changes[0].timestamp must be at most", httpError.Message, StringComparison.Ordinal);

        // A hundred pushes each as far ahead as allowed are taken, one after another.
        var cursor = start;
        for (var i = 0; i < 100; i++)
        {
            var ack = Assert.IsType<SyncAck>(await attacker.SendAndWaitAsync(Push($"r-{i}", cursor + Lead, $"note:bound/{i % 5}"), $"r-{i}"));
            cursor = ack.AckTimestamp;
        }

        // The space stays writable by honest devices, and their clocks stay far from 2^53-1.
        await phone.PullAsync();
        var honest = await phone.PutAsync("note:after", "written after the attack");
        await poller.PullAsync();
        await poller.PutAsync("note:after-http", "and over HTTP");
        await poller.WaitForValueAsync("note:after", "written after the attack");
        Assert.True(honest.AckTimestamp <= start + (101 * Lead), $"ack_timestamp {honest.AckTimestamp} after 100 pushes at the bound from {start}");
        Assert.True(phone.Clock.Current < ProtocolLimits.MaxTimestamp / 1000, $"the phone's clock reached {phone.Clock.Current}");
        await using var reader = await WsDevice.ConnectAsync(server, "reader");
        await reader.PullAsync();
        Assert.Equal(["note:after", "note:after-http", "note:before", "note:bound/0", "note:bound/1", "note:bound/2", "note:bound/3", "note:bound/4"], reader.Entries().Keys.Order(StringComparer.Ordinal));
    }

    private static string Push(string requestId, long timestamp, string key = "note:far") =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"type":"sync_push","changes":[{"key":"{{key}}","value":"x","timestamp":{{timestamp}}}],"request_id":"{{requestId}}"}""");
}
