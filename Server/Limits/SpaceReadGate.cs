using Microsoft.Extensions.Options;
using NoteSync.Server.Options;

namespace NoteSync.Server.Limits;

/// <summary>
/// Turns at the store for page reads (answers, pulls, catch-up pages), per space
/// (<c>NoteSync:Limits:StoreReadsPerSpace</c>, per node). A page read is the costly part of serving a
/// space: thousands of rows read and decoded on a thread-pool thread. Without turns, one space's
/// devices (or one device on many connections) pulling at once could hold every thread and the store's
/// readers, and every other space would queue behind them. With them a space waits only behind its own
/// reads; other spaces never wait here.
/// </summary>
internal sealed class SpaceReadGate
{
    private readonly Dictionary<string, Turns> _spaces = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly int _perSpace;

    public SpaceReadGate(IOptions<NoteSyncOptions> options)
        : this(options.Value.Limits.StoreReadsPerSpace)
    {
    }

    /// <param name="perSpace">How many page reads of one space may be at the store at once.</param>
    public SpaceReadGate(int perSpace)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSpace, 1);
        _perSpace = perSpace;
    }

    /// <summary>Waits for a turn of <paramref name="space"/>; disposing the result ends it.</summary>
    public async ValueTask<IDisposable> EnterAsync(string space, CancellationToken cancellationToken)
    {
        Turns turns;
        lock (_lock)
        {
            if (!_spaces.TryGetValue(space, out turns!))
            {
                turns = new Turns(_perSpace);
                _spaces[space] = turns;
            }

            // Counted before the wait, so the entry outlives every waiter.
            turns.Users++;
        }

        try
        {
            await turns.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(space, turns);
            throw;
        }

        return new Turn(this, space, turns);
    }

    /// <summary>How many reads of <paramref name="space"/> hold or wait for a turn now.</summary>
    public int Users(string space)
    {
        lock (_lock)
        {
            return _spaces.TryGetValue(space, out var turns) ? turns.Users : 0;
        }
    }

    private void Leave(string space, Turns turns)
    {
        lock (_lock)
        {
            // An idle space holds no entry, so the table is as large as the spaces being read now.
            if (--turns.Users == 0)
            {
                _spaces.Remove(space);

                // Nobody holds or waits for it (all are counted in Users), and a new reader makes a new one.
                turns.Dispose();
            }
        }
    }

    private sealed class Turns(int count) : IDisposable
    {
        public readonly SemaphoreSlim Semaphore = new(count, count);
        public int Users;

        public void Dispose() => Semaphore.Dispose();
    }

    private sealed class Turn(SpaceReadGate gate, string space, Turns turns) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                turns.Semaphore.Release();
                gate.Leave(space, turns);
            }
        }
    }
}
