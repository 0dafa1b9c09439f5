using System.Net;
using Microsoft.Extensions.DependencyInjection;
using NoteSync.Server.Stores;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The two probes on each store: <c>/healthz</c> (readiness, the checks tagged <c>ready</c>) follows the
/// store, <c>/healthz/live</c> (liveness, tagged <c>live</c>) answers while the process runs whatever the
/// store does, both with the answers they always gave.
/// </summary>
public sealed class HealthCheckTests
{
    private const string Json = "application/json; charset=utf-8";

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task ReadinessFollowsTheStoreAndLivenessDoesNot(string store)
    {
        // Arrange
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        await AssertAnswerAsync(http, "healthz", HttpStatusCode.OK, Json, """{"status":"healthy"}""");
        await AssertAnswerAsync(http, "healthz/live", HttpStatusCode.OK, "text/plain", "live");

        // Act: the store stops answering. Redis: the process is stopped (SIGSTOP). SQLite: the store is
        // closed under the node, as when its writer has ended.
        if (server.Redis is { } redis)
        {
            redis.Pause();
        }
        else
        {
            await server.Services.GetRequiredService<ISyncStore>().DisposeAsync();
        }

        try
        {
            // Assert: not ready, saying why; still live, so an orchestrator does not restart it.
            await WaitForStatusAsync(http, "healthz", HttpStatusCode.ServiceUnavailable);
            await AssertAnswerAsync(http, "healthz", HttpStatusCode.ServiceUnavailable, Json,
                """{"status":"unhealthy","problem":"store_unavailable","reason":"the store does not answer"}""");
            await AssertAnswerAsync(http, "healthz/live", HttpStatusCode.OK, "text/plain", "live");
        }
        finally
        {
            server.Redis?.Resume();
        }

        // Assert: a Redis node is ready again by itself once Redis answers.
        if (server.Redis is not null)
        {
            await WaitForStatusAsync(http, "healthz", HttpStatusCode.OK);
        }

        // Assert: an unready node's probes add no error line each (a load balancer asks every few seconds).
        Assert.DoesNotContain("fail:", server.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("healthz")]
    [InlineData("healthz/live")]
    public async Task TheProbesAnswerGetOnly(string path)
    {
        await using var server = await InProcessServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };

        using var response = await http.PostAsync(path, content: null);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private static async Task AssertAnswerAsync(HttpClient http, string path, HttpStatusCode status, string contentType, string body)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.ToString());
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
    }

    private static Task WaitForStatusAsync(HttpClient http, string path, HttpStatusCode expected) =>
        ClientKit.WaitUntilAsync(
            async () =>
            {
                using var response = await http.GetAsync(path);
                return response.StatusCode == expected;
            },
            $"/{path} to answer {(int)expected}");
}
