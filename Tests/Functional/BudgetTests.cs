using System.Diagnostics;
using NoteSync.Client;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// One token cannot take more than its share: its pushes over every device id it names spend one
/// budget (<c>PushesPerSecondPerToken</c>), and a space that has been served its budget of reads
/// (<c>PullBytesPerSecond</c>) has its pulls refused with a retry-after while other spaces are served.
/// </summary>
public sealed class BudgetTests
{
    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task PushesOfOneTokenSpreadOverDeviceIdsShareOneBudget(string store)
    {
        // Arrange: a token without a device_id claim (it may name any), and ten pushes of budget.
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__PushBurstPerToken"] = "10";
        settings["NoteSync__Limits__PushesPerSecondPerToken"] = "1";
        await using var server = await InProcessServer.StartOnStoreAsync(store, settings);
        var token = TestTokens.Mint("space-a");
        var devices = Enumerable.Range(0, 5).Select(d => HttpDevice.Create(server, $"made-up-{d}", token)).ToList();
        await using var other = HttpDevice.Create(server, "other", TestTokens.Mint("space-b"));

        // Act: four pushes from each of five device ids.
        var refusals = new List<string>();
        var accepted = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (var round in Enumerable.Range(0, 4))
        {
            foreach (var device in devices)
            {
                try
                {
                    await device.PutAsync($"note:{device.DeviceId}/{round}", "x");
                    accepted++;
                }
                catch (HttpRequestException ex)
                {
                    refusals.Add(ex.Message);
                }
            }
        }

        // Assert: ten went in, and one more per second the bucket refilled meanwhile; the rest were
        // refused as the token's; another token was untouched.
        var elapsed = started.Elapsed;
        Assert.InRange(accepted, 10, 10 + (int)Math.Ceiling(elapsed.TotalSeconds));
        Assert.True(refusals.Count > 0, $"all 20 pushes went in over {elapsed}");
        Assert.Equal(20 - accepted, refusals.Count);
        Assert.All(refusals, m =>
        {
            Assert.Contains("429", m, StringComparison.Ordinal);
            Assert.Contains("too many pushes with this token; retry after", m, StringComparison.Ordinal);
        });
        await other.PutAsync("note:b", "still pushing");
        foreach (var device in devices)
        {
            await device.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task ASpaceServedPastItsReadBudgetHasPullsRefusedWhileOtherSpacesAreServed(string store)
    {
        // Arrange: 64 KiB of burst, 32 KiB/s; space A holds about 160 KB, space B a note.
        var (server, spaceA) = await SpaceOfFortyNotesAsync(store, burst: 65536, perSecond: 32768);
        await using var _ = server;

        await using (var writerB = HttpDevice.Create(server, "writer-b", TestTokens.Mint("space-b")))
        {
            await writerB.PutAsync("note:b", "in space b");
        }

        await using var puller = await WsDevice.ConnectAsync(server, "puller", token: spaceA);
        await using var readerB = await WsDevice.ConnectAsync(server, "reader-b", token: TestTokens.Mint("space-b"));

        // Act: a full pull, then another at once.
        var first = Assert.IsType<SyncAck>(await puller.SendAndWaitAsync(FullPull("p1"), "p1"));
        var second = await puller.SendAndWaitAsync(FullPull("p2"), "p2");

        // Assert: the first served all 40; the second was refused with the wait, and space B is served.
        Assert.Equal(40, first.Changes.Count);
        var refused = Assert.IsType<ErrorFrame>(second);
        Assert.Equal(ErrorCodes.RateLimited, refused.Code);
        Assert.StartsWith("too many bytes read from this space; retry after ", refused.Message, StringComparison.Ordinal);
        Assert.InRange(refused.RetryAfterMs ?? 0, 1, 10_000);
        var b = Assert.IsType<SyncAck>(await readerB.SendAndWaitAsync(FullPull("b1"), "b1"));
        Assert.Single(b.Changes);

        // Once the refill has paid the debt, as the server said, a full pull is served again.
        object again = refused;
        for (var attempt = 0; again is ErrorFrame { RetryAfterMs: { } wait } && attempt < 10; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait));
            again = await puller.SendAndWaitAsync(FullPull($"p3-{attempt}"), $"p3-{attempt}");
        }

        Assert.Equal(40, Assert.IsType<SyncAck>(again).Changes.Count);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task AFrameSentAtOnceAfterARefusalWaitsOutTheRetryAfterInsteadOfBeingReadAndRefusedAgain(string store)
    {
        // Arrange: space A's budget spent by one full pull of about 160 KB (64 KiB burst, 64 KiB/s),
        // then a pull refused with a wait of a second or so.
        var (server, spaceA) = await SpaceOfFortyNotesAsync(store, burst: 65536, perSecond: 65536);
        await using var _ = server;

        await using var looper = await WsDevice.ConnectAsync(server, "looper", token: spaceA);
        Assert.IsType<SyncAck>(await looper.SendAndWaitAsync(FullPull("p1"), "p1"));
        // Timed from before the refused pull: the server's hold starts when it refuses, after that, and
        // the refusal's way back to the client takes a while of its own.
        var refusedAt = Stopwatch.GetTimestamp();
        var refused = Assert.IsType<ErrorFrame>(await looper.SendAndWaitAsync(FullPull("p2"), "p2"));
        Assert.InRange(refused.RetryAfterMs ?? 0, DeviceSession.MinReadHoldMs, DeviceSession.MaxReadHoldMs);

        // Act: the looper ignores the wait and pulls again at once.
        var next = await looper.SendAndWaitAsync(FullPull("p3"), "p3");
        var waited = Stopwatch.GetElapsedTime(refusedAt);

        // Assert: the frame was taken only once the wait had passed (less a timer's slack), so it was
        // served rather than refused again, and the connection stayed.
        Assert.True(waited >= TimeSpan.FromMilliseconds(refused.RetryAfterMs!.Value - 20), $"answered after {waited.TotalMilliseconds:F0} ms, told to wait {refused.RetryAfterMs} ms");
        Assert.Equal(40, Assert.IsType<SyncAck>(next).Changes.Count);
        Assert.False(looper.Closed.IsCompleted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AHubPushSentAtOnceAfterARefusalWaitsOutTheRetryAfterToo(bool messagePack)
    {
        // Arrange: as above, on the hub: one full pull spends the budget, the next is refused with a wait.
        var (server, spaceA) = await SpaceOfFortyNotesAsync(TestStores.Sqlite, burst: 65536, perSecond: 65536);
        await using var _ = server;
        await using var looper = await HubDevice.ConnectAsync(server, "looper", messagePack, token: spaceA);
        await looper.PushAsync(new SyncPush { LastAck = 0, RequestId = "p1" });
        var refusedAt = Stopwatch.GetTimestamp();
        var refused = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => looper.PushAsync(new SyncPush { LastAck = 0, RequestId = "p2" }));
        Assert.Matches(@"rate_limited: .*retry after \d+ ms", refused.Message);
        var retryAfterMs = (int)Assert.IsType<RateLimitedException>(ServerRefusal.FromHubError(refused.Message)).RetryAfter.TotalMilliseconds;
        Assert.InRange(retryAfterMs, DeviceSession.MinReadHoldMs, DeviceSession.MaxReadHoldMs);

        // Act: the looper ignores the wait and pulls again at once.
        var next = await looper.PushAsync(new SyncPush { LastAck = 0, RequestId = "p3" });
        var waited = Stopwatch.GetElapsedTime(refusedAt);

        // Assert: taken once the wait had passed, and served.
        Assert.True(waited >= TimeSpan.FromMilliseconds(retryAfterMs - 20), $"answered after {waited.TotalMilliseconds:F0} ms, told to wait {retryAfterMs} ms");
        Assert.Equal(40, next.Changes.Count);
    }

    /// <summary>A server (auth on) whose read budget is <paramref name="burst"/> and <paramref name="perSecond"/>, and a token of space A, which holds 40 notes of 4,000 bytes.</summary>
    private static async Task<(InProcessServer Server, string SpaceA)> SpaceOfFortyNotesAsync(string store, int burst, int perSecond)
    {
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__PullBytesBurst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["NoteSync__Limits__PullBytesPerSecond"] = perSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // One page holds the whole space, so each full pull is one answer and its cost is seen at once.
        settings["NoteSync__Sync__PageBytes"] = "524288";
        var server = await InProcessServer.StartOnStoreAsync(store, settings);
        try
        {
            var spaceA = TestTokens.Mint("space-a");
            await using (var writer = HttpDevice.Create(server, "writer", spaceA))
            {
                await writer.PutManyAsync(Enumerable.Range(0, 40).Select(i => ($"note:n{i}", (string?)new string('x', 4000))));
            }

            return (server, spaceA);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static string FullPull(string requestId) => $$"""{"type":"sync_push","last_ack":0,"changes":[],"request_id":"{{requestId}}"}""";
}
