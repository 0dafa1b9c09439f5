using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// <c>/metrics</c> (only when configured) serves the NoteSync instruments and the framework's own as
/// Prometheus text, and they move with traffic; the OTLP option pushes the same meters to a collector;
/// <c>/healthz/live</c> answers while the process runs.
/// </summary>
public sealed class ObservabilityTests
{
    private static readonly Dictionary<string, string> MetricsOn = new() { ["NoteSync__Metrics__Enabled"] = "true" };

    [Fact]
    public async Task MetricsEndpointServesTheInstrumentsAndTheyMove()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync(MetricsOn);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        // An instrument shows up at its first measurement, so a missing sample counts as 0.
        var before = await PrometheusScrape.ReadAsync(http);
        var pushesBefore = PrometheusScrape.Sum(before, "notesync_pushes", "outcome=\"acked\"");
        var mergedBefore = PrometheusScrape.Sum(before, "notesync_changes_merged", null);
        var conflictsBefore = PrometheusScrape.Sum(before, "notesync_conflicts", null);

        // Act: one device per transport, a few notes, and one conflict (same key, same timestamp).
        await using var ws = await WsDevice.ConnectAsync(server, "browser");
        await using var hub = await HubDevice.ConnectAsync(server, "laptop", messagePack: false);
        await ws.PullAsync();
        await hub.PullAsync();
        await ws.PutAsync("note:a", "one");
        await hub.PutAsync("note:b", "two");
        await hub.WaitForValueAsync("note:a", "one");
        await ws.WaitForValueAsync("note:b", "two");
        await ws.PutAsync("note:clash", "from the browser", timestamp: 1_000_000);
        await hub.PutAsync("note:clash", "from the laptop", timestamp: 1_000_000);

        // Assert
        var after = await PrometheusScrape.UntilAsync(http, text =>
            PrometheusScrape.Sum(text, "notesync_pushes", "outcome=\"acked\"") >= pushesBefore + 6
            && PrometheusScrape.Sum(text, "notesync_changes_merged", null) >= mergedBefore + 4
            && PrometheusScrape.Sum(text, "notesync_conflicts", null) >= conflictsBefore + 1
            && PrometheusScrape.Sum(text, "notesync_connections", "transport=\"ws\"") >= 1
            && PrometheusScrape.Sum(text, "notesync_connections", "transport=\"hub\"") >= 1
            && PrometheusScrape.Sum(text, "notesync_delivery_latency", null, "_count") > 0
            && PrometheusScrape.Sum(text, "notesync_store_commit_duration", null, "_count") > 0

            // The framework's own meters, beside NoteSync's: runtime, Kestrel, hosting, routing, SignalR.
            && PrometheusScrape.Sum(text, "dotnet_process_cpu_time", null) > 0
            && PrometheusScrape.Sum(text, "kestrel_active_connections", null) >= 2
            && PrometheusScrape.Sum(text, "http_server_request_duration", null, "_count") > 0
            && PrometheusScrape.Sum(text, "aspnetcore_routing_match_attempts", "match_status=\"success\"") > 0
            && PrometheusScrape.Sum(text, "signalr_server_active_connections", null) >= 1);
        Assert.Contains("# TYPE notesync_pushes", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnRedisTheRoundTripIsMeasuredAndACommitNoMessageAnnouncedCountsAsARepairedGap()
    {
        // Arrange
        await using var redis = await RedisServer.StartAsync();
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string>(MetricsOn)
        {
            ["NoteSync__Store"] = "redis",
            ["NoteSync__Redis"] = redis.ConnectionString,
            ["NoteSync__Sync__HeadCheckIntervalMs"] = "200",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        await using var ws = await WsDevice.ConnectAsync(server, "browser");
        await ws.PullAsync();
        await using var connection = await redis.ConnectAsync();
        await using var silentNode = new RedisSyncStore(connection, NullLogger.Instance);

        // Act: a commit straight into Redis, with no doorbell message, as a lost pub/sub message looks.
        await silentNode.ApplyAsync("default", [new KeyedWrite("note:silent", new Write(7, "batch-job", "behind the server's back"))])
            .WaitAsync(TestDevice.DefaultTimeout);
        await ws.WaitForValueAsync("note:silent", "behind the server's back");

        // Assert
        await PrometheusScrape.UntilAsync(http, text =>
            PrometheusScrape.Sum(text, "notesync_doorbell_gaps_repaired", null) >= 1
            && PrometheusScrape.Sum(text, "notesync_redis_roundtrip", null, "_count") > 0);
    }

    [Fact]
    public async Task OtlpEndpointReceivesTheMetersWithoutOpeningMetrics()
    {
        // Arrange: a collector on loopback, and a node pushing to it every 200 ms, Prometheus off.
        await using var collector = await OtlpCollector.StartAsync();
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__Metrics__OtlpEndpoint"] = collector.BaseUri.ToString(),
            ["NoteSync__Metrics__OtlpExportIntervalMs"] = "200",
        });
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        await using var device = HttpDevice.Create(server, "laptop");

        // Act: a push, so NoteSync's counters and the request meters have something to say.
        await device.PutAsync("note:a", "one");

        // Assert: an OTLP/HTTP protobuf export names NoteSync's instruments and the framework's beside them.
        await ClientKit.WaitUntilAsync(
            () => collector.Received.Any(e => e.Names("notesync.pushes") && e.Names("http.server.request.duration") && e.Names("kestrel.active_connections") && e.Names("dotnet.process.cpu.time")),
            "an OTLP export with NoteSync's, ASP.NET Core's, Kestrel's and the runtime's metrics",
            TestDevice.DefaultTimeout);
        var export = collector.Received.First(e => e.Names("notesync.pushes"));
        Assert.Equal("application/x-protobuf", export.ContentType);
        Assert.True(export.Names("notesync"), "the resource's service.name");
        using var scrape = await http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.NotFound, scrape.StatusCode);
    }

    [Fact]
    public async Task MetricsEndpointIsOffByDefault()
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        using var response = await http.GetAsync("metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task LivenessAnswersWhileTheProcessRuns()
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        using var response = await http.GetAsync("healthz/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("live", await response.Content.ReadAsStringAsync());
    }
}
