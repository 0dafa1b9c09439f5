namespace NoteSync.Client;

/// <summary>Cancels a push once <see cref="TransferProgress"/> has been idle for the stall timeout (<see cref="NoteSyncClientOptions.UploadStallTimeout"/>).</summary>
internal sealed class StallWatchdog : IDisposable
{
    private readonly TransferProgress _progress;
    private readonly TimeSpan _limit;
    private readonly CancellationTokenSource _push;
    private readonly Timer _timer;
    private int _fired;

    private StallWatchdog(TransferProgress progress, TimeSpan limit, CancellationTokenSource push)
    {
        _progress = progress;
        _limit = limit;
        _push = push;

        // Checked four times per period: a stall is noticed within a quarter of the limit after it.
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, limit.Ticks / 4));
        _timer = new Timer(_ => Check(), null, period, period);
    }

    /// <summary>True once it cancelled the push.</summary>
    public bool Fired => Volatile.Read(ref _fired) == 1;

    /// <summary>A watchdog over <paramref name="push"/>, or null when <paramref name="limit"/> is infinite.</summary>
    public static StallWatchdog? Start(TransferProgress progress, TimeSpan limit, CancellationTokenSource push) =>
        limit == Timeout.InfiniteTimeSpan ? null : new StallWatchdog(progress, limit, push);

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        if (_progress.Stalled < _limit || Interlocked.Exchange(ref _fired, 1) == 1)
        {
            return;
        }

        try
        {
            _push.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The push ended meanwhile.
        }
    }
}
