namespace NoteSync.Server.Auth;

/// <summary>
/// Ends a connection when its token expires (at the token's <c>exp</c>; the clock skew applies to the
/// check at connect time only). <see cref="IsExpired"/> reads the clock, so a frame is refused after
/// <c>exp</c> even before the timer has fired; <see cref="Expire"/> runs the handler once.
/// </summary>
internal sealed class ConnectionExpiry : IDisposable
{
    // A timer's due time is capped (about 49 days); a longer-lived token re-arms it.
    private static readonly TimeSpan MaxTimerStep = TimeSpan.FromDays(1);
    private readonly DateTimeOffset? _expiresAt;
    private readonly Action _onExpired;
    private readonly Timer? _timer;
    private int _fired;

    /// <summary>Watches <paramref name="expiresAt"/> (none: never expires) and calls <paramref name="onExpired"/> once at it.</summary>
    public ConnectionExpiry(DateTimeOffset? expiresAt, Action onExpired)
    {
        _expiresAt = expiresAt;
        _onExpired = onExpired;
        if (expiresAt is not null)
        {
            _timer = new Timer(_ => Check(), null, Timeout.Infinite, Timeout.Infinite);
            Arm();
        }
    }

    /// <summary>Whether the token has expired (always false without a token).</summary>
    public bool IsExpired => _expiresAt is { } at && DateTimeOffset.UtcNow >= at;

    /// <summary>Runs the handler now, once (a frame found the token expired before the timer did).</summary>
    public void Expire()
    {
        if (Interlocked.Exchange(ref _fired, 1) == 0)
        {
            _onExpired();
        }
    }

    private void Check()
    {
        if (IsExpired)
        {
            Expire();
        }
        else
        {
            Arm();
        }
    }

    private void Arm()
    {
        var left = _expiresAt!.Value - DateTimeOffset.UtcNow;

        // The timer may fire a little early; Check re-arms until the clock has passed exp.
        var due = left <= TimeSpan.Zero ? TimeSpan.Zero : left < MaxTimerStep ? left + TimeSpan.FromMilliseconds(1) : MaxTimerStep;
        try
        {
            _timer!.Change(due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The connection ended first.
        }
    }

    public void Dispose() => _timer?.Dispose();
}
