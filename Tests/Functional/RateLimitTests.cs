using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NoteSync.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// <c>NoteSync:Limits:PushesPerSecond</c>/<c>PushBurst</c> (per device, on every transport) and
/// <c>UpgradesPerMinute</c>/<c>UpgradesPerMinutePerAddress</c>: a flooding device gets
/// <c>rate_limited</c> with a retry-after and nothing of the refused pushes, keeps its connection and
/// syncs after waiting; other devices keep syncing. The limits are set low here and the assertions
/// are on behaviour, never on speed. Every case runs on both stores (<see cref="TestStores"/>).
/// </summary>
public sealed class RateLimitTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);

    private static Dictionary<string, string> PushLimits(int perSecond, int burst) => new()
    {
        ["NoteSync__Limits__PushesPerSecond"] = perSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["NoteSync__Limits__PushBurst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private const int Rate = 50;

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task WebSocketFloodGetsRateLimitedWithoutDisconnectAndOthersKeepSyncing(string store)
    {
        // Arrange
        await using var server = await InProcessServer.StartOnStoreAsync(store, PushLimits(perSecond: Rate, burst: Rate));
        await using var flooder = await WsDevice.ConnectAsync(server, "flooder");
        await using var calm = await WsDevice.ConnectAsync(server, "calm");
        await using var calmHub = await HubDevice.ConnectAsync(server, "calm-hub", messagePack: true);
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PullAsync();

        // Act: 1,000 pushes at about 1,000 a second from one device, while two others push 50 each (within their own limit).
        var flood = new List<Task<(string Key, object Answer)>>();
        var floodSent = Stopwatch.StartNew();
        var others = Task.WhenAll(PushManyAsync(calm, "calm"), PushManyAsync(calmHub, "calm-hub"));
        for (var i = 0; i < 1000; i++)
        {
            var key = $"note:flood/{i}";
            var push = flooder.NewPush(new Change { Key = key, Value = "x", Timestamp = flooder.Clock.Tick() });
            flood.Add(SendAsync(flooder, key, push));
            if (i % 10 == 9)
            {
                await Task.Delay(10);
            }
        }

        var answers = await Task.WhenAll(flood).WaitAsync(Generous);
        floodSent.Stop();

        // Assert: the other devices' pushes were all acked (PushAsync throws on a refusal) within the generous bound.
        await others.WaitAsync(Generous);
        var limited = answers.Where(a => a.Answer is ErrorFrame).ToList();
        var acked = answers.Where(a => a.Answer is SyncAck).Select(a => a.Key).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(limited);
        Assert.Equal(1000, limited.Count + acked.Count);
        Assert.All(limited, a =>
        {
            var error = (ErrorFrame)a.Answer;
            Assert.Equal(ErrorCodes.RateLimited, error.Code);
            Assert.True(error.RetryAfterMs is > 0, $"retry_after_ms {error.RetryAfterMs}");
        });

        // The token bucket never lets through more than the burst plus the rate over the time taken.
        Assert.True(acked.Count <= Rate + (Rate * (floodSent.Elapsed.TotalSeconds + 1)), $"{acked.Count} acked in {floodSent.Elapsed}");

        // Nothing of a refused push was applied: the space holds exactly the acked flood notes.
        await watcher.PullAsync();
        var flooded = watcher.Snapshot().Keys.Where(k => k.StartsWith("note:flood/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(acked.OrderBy(k => k, StringComparer.Ordinal), flooded.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(50, watcher.Snapshot().Keys.Count(k => k.StartsWith("note:calm/", StringComparison.Ordinal)));
        Assert.Equal(50, watcher.Snapshot().Keys.Count(k => k.StartsWith("note:calm-hub/", StringComparison.Ordinal)));

        // The flooder kept its connection and syncs after waiting out the retry-after.
        Assert.False(flooder.Closed.IsCompleted);
        await Task.Delay(TimeSpan.FromMilliseconds(((ErrorFrame)limited[^1].Answer).RetryAfterMs!.Value + 1100));
        await flooder.PutAsync("note:after-flood", "accepted");
        await watcher.WaitForValueAsync("note:after-flood", "accepted");
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.BothWithFalseAndTrue), MemberType = typeof(TestStores))]
    public async Task HubFloodGetsRateLimitedWithoutDisconnect(string store, bool messagePack)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, PushLimits(perSecond: 10, burst: 10));
        await using var flooder = await HubDevice.ConnectAsync(server, "hub-flooder", messagePack);
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");

        var calls = Enumerable.Range(0, 300).Select(async i =>
        {
            try
            {
                await flooder.Connection.InvokeAsync<SyncAck>("Push", new SyncPush { Changes = [new() { Key = $"note:hflood/{i}", Value = "x", Timestamp = 1 + i }] });
                return (Key: $"note:hflood/{i}", Error: (string?)null);
            }
            catch (HubException ex)
            {
                return (Key: $"note:hflood/{i}", Error: ex.Message);
            }
        }).ToList();
        var results = await Task.WhenAll(calls).WaitAsync(Generous);

        var refused = results.Where(r => r.Error is not null).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Matches("HubException: rate_limited: too many pushes from this device; retry after [0-9]+ ms$", r.Error!));
        var acked = results.Where(r => r.Error is null).Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        await watcher.PullAsync();
        Assert.Equal(acked.Order(StringComparer.Ordinal), watcher.Snapshot().Keys.Where(k => k.StartsWith("note:hflood/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        Assert.Equal(HubConnectionState.Connected, flooder.Connection.State);

        // The flood spent the budget: the longest wait a refusal named is when a push goes in again.
        await Task.Delay(refused.Max(r => Assert.IsType<RateLimitedException>(ServerRefusal.FromHubError(r.Error!)).RetryAfter));
        await flooder.PutAsync("note:after-hub-flood", "accepted");
        await watcher.WaitForValueAsync("note:after-hub-flood", "accepted");
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task HttpFloodGets429WithRetryAfterAndTheDeviceSyncsAfterWaiting(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, PushLimits(perSecond: 2, burst: 3));
        await using var device = HttpDevice.Create(server, "poller");
        await using var other = HttpDevice.Create(server, "other-poller");

        var posts = Enumerable.Range(0, 30).Select(i => device.Http.PostAsync(device.SyncPath, JsonContent.Create(
            new SyncPush { Changes = [new() { Key = $"note:hf/{i}", Value = "x", Timestamp = 1 + i }] }, NoteSyncJsonContext.Default.SyncPush))).ToList();
        var responses = await Task.WhenAll(posts).WaitAsync(Generous);
        try
        {
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.NotEmpty(limited);
            Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
            foreach (var response in limited)
            {
                Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "Retry-After in whole seconds");
                var error = await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
                Assert.Equal(ErrorCodes.RateLimited, error!.Code);
                Assert.True(error.RetryAfterMs is > 0);
            }

            // Another device is not limited by this one.
            await other.PutAsync("note:other", "fine");

            // Nothing of a refused POST applied.
            await other.PullAsync();
            Assert.Equal(responses.Count(r => r.StatusCode == HttpStatusCode.OK), other.Snapshot().Keys.Count(k => k.StartsWith("note:hf/", StringComparison.Ordinal)));

            await Task.Delay(limited[0].Headers.RetryAfter!.Delta!.Value + TimeSpan.FromMilliseconds(500));
            await device.PutAsync("note:after", "accepted");
            Assert.Equal("accepted", device.ValueOf("note:after"));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task ThousandUpgradesFromOneTokenGet429AndAnotherTokenStillConnects(string store)
    {
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__UpgradesPerMinute"] = "20";
        await using var server = await InProcessServer.StartOnStoreAsync(store, settings);
        var token = TestTokens.Mint("alice", "laptop");
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        var statuses = new Dictionary<HttpStatusCode, int>();
        HttpResponseMessage? firstLimited = null;
        for (var i = 0; i < 1000; i++)
        {
            var request = UpgradeRequests.Create("ws/sync?device_id=laptop");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            if (response.StatusCode == HttpStatusCode.TooManyRequests && firstLimited is null)
            {
                firstLimited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        using (firstLimited)
        {
            // Assert: the burst got through, then 429s with Retry-After and the error object; nothing else.
            Assert.True(statuses.GetValueOrDefault(HttpStatusCode.TooManyRequests) >= 900, string.Join(", ", statuses));
            Assert.True(statuses.GetValueOrDefault(HttpStatusCode.SwitchingProtocols) >= 20, string.Join(", ", statuses));
            Assert.Equal(1000, statuses.GetValueOrDefault(HttpStatusCode.TooManyRequests) + statuses.GetValueOrDefault(HttpStatusCode.SwitchingProtocols));
            Assert.NotNull(firstLimited!.Headers.RetryAfter?.Delta);
            var error = JsonSerializer.Deserialize(await firstLimited.Content.ReadAsStringAsync(), NoteSyncJsonContext.Default.ErrorFrame);
            Assert.Equal(ErrorCodes.RateLimited, error!.Code);
            Assert.True(error.RetryAfterMs is > 0);
        }

        // The same token is refused on the hub too (one budget per token), with the client's usual failure.
        await Assert.ThrowsAnyAsync<Exception>(() => HubDevice.ConnectAsync(server, "laptop", messagePack: false, token));

        // Another token of the same space, and of another, still connect and sync.
        await using var phone = await WsDevice.ConnectAsync(server, "phone", token: TestTokens.Mint("alice", "phone"));
        await using var bob = await HubDevice.ConnectAsync(server, "desk", messagePack: true, TestTokens.Mint("bob", "desk"));
        await phone.PutAsync("note:from-phone", "ok");
        await bob.PutAsync("note:from-bob", "ok");
        await ServerAssert.HealthyAsync(server);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task WithAuthOffUpgradesAreLimitedPerAddress(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string> { ["NoteSync__Limits__UpgradesPerMinutePerAddress"] = "5" });
        var devices = new List<WsDevice>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                devices.Add(await WsDevice.ConnectAsync(server, $"d{i}"));
            }

            using var http = new HttpClient { BaseAddress = server.BaseUri };
            using var refused = await http.SendAsync(UpgradeRequests.Create("ws/sync?device_id=d5"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);

            // The connections already open keep syncing, and plain HTTP is not an upgrade.
            await devices[0].PutAsync("note:still", "syncing");
            await using var poller = HttpDevice.Create(server, "poller");
            await poller.PutAsync("note:poll", "ok");
            await ServerAssert.HealthyAsync(server);
        }
        finally
        {
            foreach (var device in devices)
            {
                await device.DisposeAsync();
            }
        }
    }

    private static async Task<(string Key, object Answer)> SendAsync(WsDevice device, string key, SyncPush push) =>
        (key, await device.SendAndWaitAsync(JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!));

    private static async Task PushManyAsync(TestDevice device, string prefix)
    {
        for (var i = 0; i < 50; i++)
        {
            await device.PutAsync($"note:{prefix}/{i}", "v");

            // Well under the Rate a second of every device: these pushes must all be acked.
            await Task.Delay(1000 / (Rate / 2));
        }
    }
}
