using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>Bad configuration stops the server at start-up with a message naming the setting.</summary>
public sealed class StartupTests
{
    [Theory]
    [InlineData("NoteSync__Sync__MaxChangesPerAck", "0", "MaxChangesPerAck")]
    [InlineData("NoteSync__Limits__SendQueueFrames", "-1", "SendQueueFrames")]
    [InlineData("NoteSync__Store", "postgres", "Store")]
    [InlineData("NoteSync__Store", "redis", "NoteSync:Store=redis")]
    public async Task BadSettingStopsTheServerWithAMessageNamingIt(string setting, string value, string named)
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(new Dictionary<string, string> { [setting] = value }));

        Assert.Contains("exited during start-up", ex.Message, StringComparison.Ordinal);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }
}
