using NoteSync.Bench.Devices;

namespace NoteSync.Bench.Scenarios;

/// <summary>Completes when one fresh device holds every preloaded note (distinct markers 0..N-1).</summary>
internal sealed class CatchupObserver(int notes) : IDeviceObserver
{
    private readonly bool[] _have = new bool[notes];
    private readonly TaskCompletionSource<long> _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    /// <summary>Completes with the arrival ticks of the frame that brought the last missing note.</summary>
    public Task<long> All => _all.Task;

    public int Count => Volatile.Read(ref _count);

    public long Duplicates { get; private set; }

    public void OnSent(long writeIndex, long ticks)
    {
    }

    // Only the one fresh device reports here, from its receive loop: no concurrency.
    public void OnChange(BenchDevice device, long writeIndex, long arrivalTicks)
    {
        if ((ulong)writeIndex >= (ulong)_have.Length)
        {
            return;
        }

        if (_have[writeIndex])
        {
            Duplicates++;
            return;
        }

        _have[writeIndex] = true;
        if (Interlocked.Increment(ref _count) == _have.Length)
        {
            _all.TrySetResult(arrivalTicks);
        }
    }
}
