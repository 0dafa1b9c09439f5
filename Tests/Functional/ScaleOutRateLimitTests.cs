using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// With <c>Store=redis</c> the upgrade limits (<c>UpgradesPerMinute</c> per token, with auth off
/// <c>UpgradesPerMinutePerAddress</c>) hold for the whole service: two nodes on one real redis-server
/// share one count, so upgrades alternating between the nodes get 429 after the limit in total, not
/// after the limit on each node. Each test has its own redis-server.
/// </summary>
public sealed class ScaleOutRateLimitTests
{
    private const int Limit = 10;
    private const int Attempts = 30;

    [Fact]
    public async Task UpgradesOfOneTokenAlternatingBetweenNodesGet429AfterTheLimitInTotal()
    {
        // Arrange
        await using var redis = await RedisServer.StartAsync();
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__UpgradesPerMinute"] = Limit.ToString(CultureInfo.InvariantCulture);
        await using var nodes = await StartNodesAsync(redis, settings);
        var token = TestTokens.Mint("alice", "laptop");

        // Act
        var answers = await UpgradeAlternatelyAsync(nodes.Nodes, "ws/sync?device_id=laptop", token);

        // Assert: the limit once over both nodes, then 429 from each node; another token still connects on both.
        AssertLimitedInTotal(answers);
        foreach (var node in nodes.Nodes)
        {
            await using var phone = await WsDevice.ConnectAsync(node, "phone", token: TestTokens.Mint("alice", "phone"));
            await phone.PutAsync($"note:from-phone/{node.Port}", "ok");
        }
    }

    [Fact]
    public async Task WithAuthOffUpgradesOfOneAddressAlternatingBetweenNodesGet429AfterTheLimitInTotal()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var nodes = await StartNodesAsync(redis, new Dictionary<string, string>
        {
            ["NoteSync__Limits__UpgradesPerMinutePerAddress"] = Limit.ToString(CultureInfo.InvariantCulture),
        });

        var answers = await UpgradeAlternatelyAsync(nodes.Nodes, "hubs/sync?device_id=d", token: null);

        AssertLimitedInTotal(answers);
        foreach (var node in nodes.Nodes)
        {
            await ServerAssert.HealthyAsync(node);
        }
    }

    [Fact]
    public async Task WhileRedisDoesNotAnswerEachNodeCountsUpgradesItselfAndWarns()
    {
        // Arrange: a limit of 2 a minute, and Redis stopped (SIGSTOP: it holds its socket, answers nothing).
        await using var redis = await RedisServer.StartAsync();
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__UpgradesPerMinute"] = "2";
        await using var nodes = await StartNodesAsync(redis, settings);
        var node = nodes.Nodes[0];
        var token = TestTokens.Mint("alice", "laptop");
        using var http = new HttpClient { BaseAddress = node.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        redis.Pause();
        try
        {
            // Act: three upgrades at once; each waits for Redis's timeout, then the node's own bucket decides.
            var statuses = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
            {
                using var request = UpgradeRequests.Create("ws/sync?device_id=laptop");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                return response.StatusCode;
            }));

            // Assert: neither everyone nor nobody refused: the node's limit held; one warning, not three.
            Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.SwitchingProtocols));
            Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
            const string warning = "Upgrades could not be counted in Redis";
            await ClientKit.WaitUntilAsync(() => node.Output.Contains(warning, StringComparison.Ordinal), "the warning in the node's log");
            Assert.True(node.Output.Split(warning).Length - 1 == 1, node.Output);
        }
        finally
        {
            redis.Resume();
        }
    }

    private static void AssertLimitedInTotal(List<(int Node, HttpStatusCode Status, TimeSpan? RetryAfter)> answers)
    {
        var summary = string.Join(", ", answers.Select(a => $"{a.Node}:{(int)a.Status}"));
        Assert.Equal(Limit, answers.Count(a => a.Status == HttpStatusCode.SwitchingProtocols));
        Assert.All(answers.Take(Limit), a => Assert.Equal(HttpStatusCode.SwitchingProtocols, a.Status));
        Assert.All(answers.Skip(Limit), a =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, a.Status);
            Assert.True(a.RetryAfter is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After {a.RetryAfter}");
        });
        Assert.True(answers.Skip(Limit).Select(a => a.Node).Distinct().Count() == 2, $"both nodes refuse: {summary}");
    }

    /// <summary><see cref="Attempts"/> upgrades, alternating between the nodes, in order; the 101s are closed again.</summary>
    private static async Task<List<(int Node, HttpStatusCode Status, TimeSpan? RetryAfter)>> UpgradeAlternatelyAsync(InProcessServer[] nodes, string pathAndQuery, string? token)
    {
        var clients = nodes.Select(n => new HttpClient { BaseAddress = n.BaseUri }).ToArray();
        var answers = new List<(int, HttpStatusCode, TimeSpan?)>();
        try
        {
            for (var i = 0; i < Attempts; i++)
            {
                using var request = UpgradeRequests.Create(pathAndQuery);
                if (token is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                }

                using var response = await clients[i % 2].SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestDevice.DefaultTimeout);
                answers.Add((i % 2, response.StatusCode, response.Headers.RetryAfter?.Delta));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        return answers;
    }

    private static async Task<NodeSet> StartNodesAsync(RedisServer redis, Dictionary<string, string> settings)
    {
        settings["NoteSync__Store"] = "redis";
        settings["NoteSync__Redis"] = redis.ConnectionString;
        var starting = new[] { InProcessServer.StartAsync(settings), InProcessServer.StartAsync(settings) };
        try
        {
            return new NodeSet(await Task.WhenAll(starting));
        }
        catch
        {
            foreach (var node in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await node.Result.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Servers on the test's Redis, stopped together.</summary>
    private sealed class NodeSet(InProcessServer[] nodes) : IAsyncDisposable
    {
        public InProcessServer[] Nodes { get; } = nodes;

        public async ValueTask DisposeAsync()
        {
            foreach (var node in Nodes)
            {
                await node.DisposeAsync();
            }
        }
    }
}
