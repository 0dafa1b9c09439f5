using NoteSync.Server.Limits;

namespace NoteSync.Tests.Unit;

/// <summary>The turns of page reads: a space waits behind its own reads only, and an idle space holds nothing.</summary>
public sealed class SpaceReadGateTests
{
    [Fact]
    public async Task ASecondReadOfASpaceWaitsForTheFirstWhileAnotherSpaceGoesAhead()
    {
        var gate = new SpaceReadGate(perSpace: 1);
        var first = await gate.EnterAsync("x", CancellationToken.None);

        var second = gate.EnterAsync("x", CancellationToken.None).AsTask();
        var other = gate.EnterAsync("y", CancellationToken.None).AsTask();

        Assert.True(other.IsCompletedSuccessfully, "space y waited behind space x");
        Assert.False(second.IsCompleted, "space x had two reads at once");
        Assert.Equal(2, gate.Users("x"));

        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        (await other).Dispose();
        Assert.Equal(0, gate.Users("x"));
        Assert.Equal(0, gate.Users("y"));
    }

    [Fact]
    public async Task AReadCancelledWhileWaitingLeavesItsPlaceAndTheNextOneStillGetsATurn()
    {
        var gate = new SpaceReadGate(perSpace: 1);
        var first = await gate.EnterAsync("x", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = gate.EnterAsync("x", cancel.Token).AsTask();
        var next = gate.EnterAsync("x", CancellationToken.None).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(2, gate.Users("x"));

        first.Dispose();
        first.Dispose();
        (await next.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.Equal(0, gate.Users("x"));
    }

    [Fact]
    public async Task MoreTurnsPerSpaceLetThatManyReadsInAtOnce()
    {
        var gate = new SpaceReadGate(perSpace: 2);
        var one = await gate.EnterAsync("x", CancellationToken.None);
        var two = gate.EnterAsync("x", CancellationToken.None).AsTask();
        var three = gate.EnterAsync("x", CancellationToken.None).AsTask();

        Assert.True(two.IsCompletedSuccessfully);
        Assert.False(three.IsCompleted);
        one.Dispose();
        (await three.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        (await two).Dispose();
        Assert.Equal(0, gate.Users("x"));
    }
}
