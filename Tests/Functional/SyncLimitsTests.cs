using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The server tells its limits on pushes in <c>limits</c> of a <c>sync_ack</c> (docs/protocol.md §4.4, "The
/// server's limits"): on the first answer of each WebSocket and hub connection, on every HTTP answer.
/// </summary>
public sealed class SyncLimitsTests
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["NoteSync__Limits__MaxMessageBytes"] = "300000",
        ["NoteSync__Limits__MaxChangesPerPush"] = "77",
        ["NoteSync__Limits__MaxKeyBytes"] = "500",
        ["NoteSync__Limits__MaxValueBytes"] = "65536",
        ["NoteSync__Limits__MaxNoteBytes"] = "262144",
    };

    public static TheoryData<string> Transports => ["ws", "hub-json", "hub-msgpack", "http"];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task TheFirstAnswerOfAConnectionTellsTheLimitsAndHttpAnswersAlwaysDo(string transport)
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync(Settings);
        await using TestDevice device = transport switch
        {
            "ws" => await WsDevice.ConnectAsync(server, "laptop"),
            "hub-json" => await HubDevice.ConnectAsync(server, "laptop", messagePack: false),
            "hub-msgpack" => await HubDevice.ConnectAsync(server, "laptop", messagePack: true),
            _ => HttpDevice.Create(server, "laptop"),
        };

        // Act: a write, then a pull.
        var first = await device.PutAsync("note:a.md", "a");
        var second = await device.PullAsync();

        // Assert: the server's settings, as configured; a connection is told once, HTTP every time.
        var limits = Assert.IsType<SyncLimits>(first.Limits);
        Assert.Equal(300_000, limits.MaxMessageBytes);
        Assert.Equal(77, limits.MaxChangesPerPush);
        Assert.Equal(500, limits.MaxKeyBytes);
        Assert.Equal(65_536, limits.MaxValueBytes);
        Assert.Equal(262_144, limits.MaxNoteBytes);
        if (transport == "http")
        {
            Assert.Equal(300_000, second.Limits?.MaxMessageBytes);
        }
        else
        {
            Assert.Null(second.Limits);
        }
    }
}
