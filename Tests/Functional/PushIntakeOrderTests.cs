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
/// and <c>POST /sync</c>. With a budget of four pushes a second (burst one) and twenty frames sent at
/// once (or one after the other's answer), some are refused as over the budget, and at most one frame
/// more than the budget refilled while they went can be read; had reading come first, all twenty would
/// be refused as unreadable. A refused frame holds the connection's next one for its wait (a quarter of
/// a second), so the run takes a few seconds, however loaded the machine: the bounds grow with the
/// time it took.
/// </summary>
public sealed class PushIntakeOrderTests
{
    private const int Frames = 20;
    private const int PushesPerSecond = 4;

    private static readonly Dictionary<string, string> FourPushesASecond = new()
    {
        ["NoteSync__Limits__PushesPerSecond"] = PushesPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["NoteSync__Limits__PushBurst"] = "1",
    };

    [Fact]
    public async Task OnTheWebSocketAnUnreadableFrameOverTheBudgetIsRateLimited()
    {
        await using var server = await InProcessServer.StartAsync(FourPushesASecond);
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
        await using var server = await InProcessServer.StartAsync(FourPushesASecond);
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
        await using var server = await InProcessServer.StartAsync(FourPushesASecond);
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
        // Read first, every frame would be unreadable and none over the budget; budget first, a frame is
        // read only with a token: the burst, and what refilled while the frames went.
        Assert.All(outcomes, o => Assert.True(o == rateLimited || o == unreadable, $"unexpected answer {o}"));
        Assert.Contains(rateLimited, outcomes);
        var read = outcomes.Count(o => o == unreadable);
        Assert.InRange(read, 1, 1 + (int)Math.Ceiling(taken.TotalSeconds * PushesPerSecond));
    }
}
