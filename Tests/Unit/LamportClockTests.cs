using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.Unit;

public sealed class LamportClockTests
{
    [Fact]
    public void TickAfterObserveIsGreaterThanObserved()
    {
        // Arrange
        var clock = new LamportClock();

        // Act
        clock.Observe(41);
        var next = clock.Tick();

        // Assert
        Assert.Equal(42, next);
    }

    [Fact]
    public void ObserveNeverMovesBack()
    {
        var clock = new LamportClock(100);

        clock.Observe(5);

        Assert.Equal(100, clock.Current);
    }
}
