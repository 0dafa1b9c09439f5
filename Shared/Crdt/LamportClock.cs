using NoteSync.Shared.Protocol;

namespace NoteSync.Shared.Crdt;

/// <summary>
/// A device's Lamport clock (docs/protocol.md §2): ticked before each write, moved forward to at least every
/// <c>ack_timestamp</c> and every timestamp seen. Thread-safe.
/// </summary>
public sealed class LamportClock
{
    private long _value;

    /// <summary>A clock starting at <paramref name="start"/> (the default is 0: the first write gets 1).</summary>
    public LamportClock(long start = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, ProtocolLimits.MaxTimestamp);
        _value = start;
    }

    /// <summary>The last value given out or observed.</summary>
    public long Current => Volatile.Read(ref _value);

    /// <summary>Advances the clock and returns the timestamp for a new write.</summary>
    public long Tick()
    {
        var next = Interlocked.Increment(ref _value);
        if (next > ProtocolLimits.MaxTimestamp)
        {
            Interlocked.Decrement(ref _value);
            throw new InvalidOperationException("the Lamport clock reached 2^53-1 and cannot tick further");
        }

        return next;
    }

    /// <summary>Moves the clock to at least <paramref name="timestamp"/>; never moves it back.</summary>
    public void Observe(long timestamp)
    {
        var seen = Volatile.Read(ref _value);
        while (timestamp > seen)
        {
            var was = Interlocked.CompareExchange(ref _value, timestamp, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }
}
