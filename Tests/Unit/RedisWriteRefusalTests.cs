using NoteSync.Server.Stores.Redis;
using StackExchange.Redis;

namespace NoteSync.Tests.Unit;

/// <summary>Which Redis errors mean "answers but takes no writes", and what <c>/healthz</c> then says.</summary>
public sealed class RedisWriteRefusalTests
{
    [Theory]
    [InlineData("MISCONF Errors writing to the AOF file: No space left on device", "MISCONF")]
    [InlineData("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.", "MISCONF")]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'.", "OOM")]
    [InlineData("READONLY You can't write against a read only replica.", "READONLY")]
    public void AWriteRefusalIsNamedWithoutRedissOwnText(string message, string code)
    {
        var reason = RedisWriteRefusal.ReasonOf(new RedisServerException(message));

        Assert.NotNull(reason);
        Assert.EndsWith($"({code})", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("AOF file", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NOSCRIPT No matching script. Please use EVAL.")]
    [InlineData("ERR wrong number of arguments")]
    public void OtherServerErrorsAreNotWriteRefusals(string message) =>
        Assert.Null(RedisWriteRefusal.ReasonOf(new RedisServerException(message)));

    [Fact]
    public void ARefusalIsRememberedUntilAWriteGoesIn()
    {
        var refusal = new RedisWriteRefusal();

        refusal.Observe(new RedisServerException("OOM command not allowed when used memory > 'maxmemory'."));
        var remembered = refusal.Reason;
        refusal.Observe(new TimeoutException("a timeout is an outage, not a refusal"));
        var afterTimeout = refusal.Reason;
        refusal.Clear();

        Assert.NotNull(remembered);
        Assert.Equal(remembered, afterTimeout);
        Assert.Null(refusal.Reason);
    }
}
