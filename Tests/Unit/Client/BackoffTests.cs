using NoteSync.Client;

namespace NoteSync.Tests.Unit.Client;

public sealed class BackoffTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Fact]
    public void DelaysStayBetweenHalfTheBaseAndTheBaseAndNeverPassTheMaximum()
    {
        var random = new Random(42);
        for (var attempt = 1; attempt <= 100; attempt++)
        {
            var baseMs = Math.Min(Max.TotalMilliseconds, Min.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
            for (var i = 0; i < 50; i++)
            {
                var delay = Backoff.Delay(attempt, Min, Max, random).TotalMilliseconds;
                Assert.InRange(delay, baseMs / 2, baseMs);
                Assert.True(delay <= Max.TotalMilliseconds);
            }
        }
    }

    [Fact]
    public void DelaysGrowThenFlattenAtTheMaximum()
    {
        var alwaysTop = new TopRandom();
        Assert.Equal(500, Backoff.Delay(1, Min, Max, alwaysTop).TotalMilliseconds);
        Assert.Equal(1000, Backoff.Delay(2, Min, Max, alwaysTop).TotalMilliseconds);
        Assert.Equal(4000, Backoff.Delay(4, Min, Max, alwaysTop).TotalMilliseconds);
        Assert.Equal(30_000, Backoff.Delay(8, Min, Max, alwaysTop).TotalMilliseconds);
        Assert.Equal(30_000, Backoff.Delay(int.MaxValue, Min, Max, alwaysTop).TotalMilliseconds);
    }

    [Fact]
    public void JitterSpreadsRetries()
    {
        var random = new Random(7);
        var delays = Enumerable.Range(0, 20).Select(_ => Backoff.Delay(5, Min, Max, random)).Distinct().Count();
        Assert.True(delays > 10);
    }

    private sealed class TopRandom : Random
    {
        public override double NextDouble() => 1.0;
    }
}
