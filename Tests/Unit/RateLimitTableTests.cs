using NoteSync.Server.Limits;

namespace NoteSync.Tests.Unit;

/// <summary>The token bucket behind every rate limit, on a clock the test moves.</summary>
public sealed class RateLimitTableTests
{
    private long _now = 1_000_000;

    [Fact]
    public void BurstPassesThenRefusesWithTheWaitUntilTheNextToken()
    {
        var table = new RateLimitTable(capacity: 5, perSecond: 10, () => _now);

        for (var i = 0; i < 5; i++)
        {
            Assert.True(table.TryTake("a", out _));
        }

        Assert.False(table.TryTake("a", out var retryAfterMs));
        Assert.Equal(100, retryAfterMs);

        _now += 99;
        Assert.False(table.TryTake("a", out retryAfterMs));
        Assert.Equal(1, retryAfterMs);

        _now += 1;
        Assert.True(table.TryTake("a", out _));
    }

    [Fact]
    public void SpendingPastTheBucketPutsTheKeyInDebtUntilTheRefillPaysItOff()
    {
        var table = new RateLimitTable(capacity: 1000, perSecond: 1000, () => _now);
        Assert.False(table.IsInDebt("space", out var none));
        Assert.Equal(0, none);

        table.Spend("space", 1000);
        Assert.False(table.IsInDebt("space", out _));
        table.Spend("space", 500);

        Assert.True(table.IsInDebt("space", out var retryAfterMs));
        Assert.Equal(500, retryAfterMs);
        Assert.False(table.IsInDebt("other", out _));

        _now += 499;
        Assert.True(table.IsInDebt("space", out retryAfterMs));
        Assert.Equal(1, retryAfterMs);
        _now += 1;
        Assert.False(table.IsInDebt("space", out _));
    }

    [Fact]
    public void KeysHaveTheirOwnBuckets()
    {
        var table = new RateLimitTable(capacity: 1, perSecond: 1, () => _now);

        Assert.True(table.TryTake("a", out _));
        Assert.False(table.TryTake("a", out _));
        Assert.True(table.TryTake("b", out _));
    }

    [Fact]
    public void RefillStopsAtTheCapacity()
    {
        var table = new RateLimitTable(capacity: 3, perSecond: 1000, () => _now);
        Assert.True(table.TryTake("a", out _));

        _now += 3_600_000;

        for (var i = 0; i < 3; i++)
        {
            Assert.True(table.TryTake("a", out _));
        }

        Assert.False(table.TryTake("a", out _));
    }

    [Fact]
    public void RefilledBucketsAreSweptSoTheTableStaysSmall()
    {
        var table = new RateLimitTable(capacity: 2, perSecond: 1, () => _now);
        for (var i = 0; i < 5000; i++)
        {
            table.TryTake($"device-{i}", out _);
        }

        _now += 10_000;
        for (var i = 0; i < 5000; i++)
        {
            table.TryTake("busy", out _);
        }

        // The sweep (every 4,096 calls) dropped every full bucket; only the busy key's is left.
        Assert.Equal(1, table.Count);
    }
}
