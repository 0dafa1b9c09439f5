using System.Net;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// Several servers in one process keep to themselves: each has its own meters, its own log, its own
/// store, and one stopped and started again on its data directory and port comes back with its notes.
/// Every functional test relies on this, since xunit runs the classes' servers side by side.
/// </summary>
public sealed class InProcessHostingTests
{
    private static readonly Dictionary<string, string> MetricsOn = new() { ["NoteSync__Metrics__Enabled"] = "true" };

    [Fact]
    public async Task EachServerCountsOnlyItsOwnTraffic()
    {
        // Arrange
        await using var busy = await InProcessServer.StartAsync(MetricsOn);
        await using var idle = await InProcessServer.StartAsync(MetricsOn);
        using var busyHttp = new HttpClient { BaseAddress = busy.BaseUri, Timeout = TestDevice.DefaultTimeout };
        using var idleHttp = new HttpClient { BaseAddress = idle.BaseUri, Timeout = TestDevice.DefaultTimeout };

        // Act
        await using (var device = await WsDevice.ConnectAsync(busy, "dev"))
        {
            await device.PutAsync("note:a", "one");
            await device.PutAsync("note:b", "two");
        }

        // Assert: the busy server's scrape moved; the idle one's never saw a push. Both scrapes read the
        // same process-wide listeners, so a meter shared by name would show the pushes on both.
        await PrometheusScrape.UntilAsync(busyHttp, text => PrometheusScrape.Sum(text, "notesync_pushes", "outcome=\"acked\"") >= 2);
        var idleText = await PrometheusScrape.ReadAsync(idleHttp);
        Assert.Equal(0, PrometheusScrape.Sum(idleText, "notesync_pushes", null));
        Assert.Equal(0, PrometheusScrape.Sum(idleText, "notesync_changes_merged", null));
    }

    [Fact]
    public async Task EachServerLogsOnlyItsOwnRequests()
    {
        var verbose = new Dictionary<string, string> { ["Logging__LogLevel__Microsoft.AspNetCore.Hosting"] = "Information" };
        await using var first = await InProcessServer.StartAsync(verbose);
        await using var second = await InProcessServer.StartAsync(verbose);
        using var http = new HttpClient { Timeout = TestDevice.DefaultTimeout };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(first.BaseUri, "healthz?marker=first"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(second.BaseUri, "healthz?marker=second"))).StatusCode);

        // The request log is written before the response completes, so both lines are in by now.
        Assert.Contains("marker=first", first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("marker=second", first.Output, StringComparison.Ordinal);
        Assert.Contains("marker=second", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("marker=first", second.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task AServerStoppedAndStartedAgainKeepsItsNotesAndItsPort(string store)
    {
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        var port = server.Port;
        await using (var device = await WsDevice.ConnectAsync(server, "dev"))
        {
            await device.PutAsync("note:kept", "across a restart");
        }

        await server.RestartAsync();

        Assert.Equal(port, server.Port);
        var notes = await ServerNotes.ReadAsync(server);
        Assert.Equal("across a restart", notes["note:kept"]);
        await ServerAssert.HealthyAsync(server);
    }
}
