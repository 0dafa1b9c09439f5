using System.Diagnostics;
using System.Net;
using System.Text;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The order of checks on a push (<c>PushIntake</c>), through each transport's real encoding: the push
/// budget is spent before the frame is read, so a device flooding with unreadable frames is told
/// <c>rate_limited</c>, not what else is wrong, on the raw WebSocket, the hub (JSON and MessagePack)
/// and <c>POST /sync</c>. With a budget of one push a second (burst one) and twenty frames sent at once,
/// at most one more frame than the seconds taken can be read; had reading come first, all twenty would
/// be refused as unreadable.
/// </summary>
public sealed class PushIntakeOrderTests
{
    private const int Frames = 20;

    private static readonly Dictionary<string, string> OnePushASecond = new()
    {
        ["NoteSync__Limits__PushesPerSecond"] = "1",
        ["NoteSync__Limits__PushBurst"] = "1",
    };

    [Fact]
    public async Task OnTheWebSocketAnUnreadableFrameOverTheBudgetIsRateLimited()
    {
        await using var server = await InProcessServer.StartAsync(OnePushASecond);
        await using var device = await WsDevice.ConnectAsync(server, "flooder");
        var taken = Stopwatch.StartNew();

        for (var i = 0; i < Frames; i++)
        {
            await device.SendTextAsync("this is not JSON");
        }

        var codes = new List<string>();
        for (var i = 0; i < Frames; i++)
        {
            codes.Add((await device.NextUnansweredErrorAsync()).Code);
        }

        AssertTheBudgetCameFirst(codes, taken.Elapsed, ErrorCodes.RateLimited, ErrorCodes.BadRequest);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OnTheHubAnUnreadablePushOverTheBudgetIsRateLimited(bool messagePack)
    {
        await using var server = await InProcessServer.StartAsync(OnePushASecond);
        await using var device = await UntypedHubPusher.ConnectAsync(server, "flooder", messagePack);
        var taken = Stopwatch.StartNew();

        var codes = new List<string>();
        for (var i = 0; i < Frames; i++)
        {
            var error = await device.PushAsync($$"""{"request_id":"u{{i}}","last_ack":0,"changes":"not a list"}""");
            codes.Add(error is null ? "ack" : CodeOf(error));
        }

        AssertTheBudgetCameFirst(codes, taken.Elapsed, ErrorCodes.RateLimited, ErrorCodes.BadRequest);
    }

    [Fact]
    public async Task OverHttpABodyThatIsNotJsonOverTheBudgetIsRateLimited()
    {
        await using var server = await InProcessServer.StartAsync(OnePushASecond);
        await using var device = HttpDevice.Create(server, "flooder");
        var taken = Stopwatch.StartNew();

        var codes = new List<string>();
        for (var i = 0; i < Frames; i++)
        {
            using var body = new StringContent("this is not JSON", Encoding.UTF8, "application/json");
            using var response = await device.Http.PostAsync(device.SyncPath, body);
            codes.Add(response.StatusCode.ToString());
        }

        AssertTheBudgetCameFirst(codes, taken.Elapsed, nameof(HttpStatusCode.TooManyRequests), nameof(HttpStatusCode.BadRequest));
    }

    // "An unexpected error occurred invoking 'Push' on the server. HubException: rate_limited: ..." (docs/protocol.md §5.4).
    private static string CodeOf(string hubError)
    {
        const string Marker = "HubException: ";
        var code = hubError[(hubError.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length)..];
        return code[..code.IndexOf(':', StringComparison.Ordinal)];
    }

    private static void AssertTheBudgetCameFirst(List<string> outcomes, TimeSpan taken, string rateLimited, string unreadable)
    {
        // Slower than this, the refill alone would let most frames be read and the test would show nothing.
        Assert.True(taken < TimeSpan.FromSeconds(Frames / 2), $"sending took {taken}: too slow to tell the order");
        Assert.All(outcomes, o => Assert.True(o == rateLimited || o == unreadable, $"unexpected answer {o}"));
        var read = outcomes.Count(o => o == unreadable);
        Assert.InRange(read, 1, 1 + (int)Math.Ceiling(taken.TotalSeconds));
    }
}
