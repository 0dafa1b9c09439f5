using NoteSync.Server.Observability;

namespace NoteSync.Tests.Unit;

/// <summary>What <see cref="LogScrubber"/> takes out of a log line, and what it leaves.</summary>
public sealed class LogScrubberTests
{
    private const string Jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzcGFjZSI6ImFsaWNlIn0.c2lnbmF0dXJlLXBhcnQ";

    [Theory]
    [InlineData("Request starting HTTP/1.1 GET http://h/ws/sync?device_id=a&access_token=" + Jwt + " - - -", "Request starting HTTP/1.1 GET http://h/ws/sync?device_id=a&access_token=[redacted] - - -")]
    [InlineData("GET /hubs/sync?access_token=opaque-not-a-jwt&id=7", "GET /hubs/sync?access_token=[redacted]&id=7")]
    [InlineData("url /ws/sync%3Faccess_token%3Dsecret123", "url /ws/sync%3Faccess_token%3D[redacted]")]
    [InlineData("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123", "Authorization: Bearer [redacted]")]
    [InlineData("token " + Jwt + " seen", "token [redacted] seen")]
    [InlineData("Bearer was not authenticated. Failure message: IDX10223", "Bearer was not authenticated. Failure message: IDX10223")]
    [InlineData("Device laptop of space alice connected on /ws/sync", "Device laptop of space alice connected on /ws/sync")]
    public void ScrubsTokensAndLeavesTheRest(string line, string expected)
    {
        Assert.Equal(expected, LogScrubber.Scrub(line));
    }
}
