using NoteSync.Server.Limits;
using NoteSync.Server.Sync;

namespace NoteSync.Tests.Unit;

/// <summary>The bytes a node sends for a space, on a clock the test moves.</summary>
public sealed class PullBudgetTests
{
    private long _now = 1_000_000;

    [Fact]
    public void ASpaceOverdrawnByMillisecondsIsToldToWaitAtLeastTheConnectionsReadHold()
    {
        // 64 KiB of burst and 16 MiB/s: a page of 160 KB is paid off in about 6 ms.
        var budget = new PullBudget(new RateLimitTable(64 * 1024, 16 * 1024 * 1024, () => _now));

        budget.Served("a", 160_000);

        // A device told 6 ms would be read and refused again at once, with its frame never held.
        Assert.True(budget.IsSpent("a", out var retryAfterMs));
        Assert.Equal(PullBudget.MinRetryAfterMs, retryAfterMs);
        Assert.True(retryAfterMs >= DeviceSession.MinReadHoldMs);
        Assert.False(budget.IsSpent("b", out _));

        // The debt itself is paid at the budget's rate, not after the told wait.
        _now += 6;
        Assert.False(budget.IsSpent("a", out _));
    }

    [Fact]
    public void ALargerDebtIsToldItsOwnWait()
    {
        var budget = new PullBudget(new RateLimitTable(1024, 1024 * 1024, () => _now));

        budget.Served("a", 1024 + (512 * 1024));

        Assert.True(budget.IsSpent("a", out var retryAfterMs));
        Assert.Equal(500, retryAfterMs);
    }
}
