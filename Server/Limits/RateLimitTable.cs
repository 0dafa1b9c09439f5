using System.Collections.Concurrent;

namespace NoteSync.Server.Limits;

/// <summary>
/// Token buckets by key (a device, a token, an address): each holds up to <c>capacity</c> tokens and
/// refills at <c>perSecond</c>. A full bucket is the same as none, so buckets that have refilled are
/// swept away and the table holds only keys that were busy lately.
/// </summary>
internal sealed class RateLimitTable
{
    private const int SweepEvery = 4096;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly double _capacity;
    private readonly double _perMs;
    private readonly Func<long> _clock;
    private int _calls;

    /// <param name="capacity">The burst: how many may be taken at once from a full bucket.</param>
    /// <param name="perSecond">The sustained rate.</param>
    /// <param name="clock">Milliseconds, monotonic (tests pass their own).</param>
    public RateLimitTable(double capacity, double perSecond, Func<long>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        _capacity = capacity;
        _perMs = perSecond / 1000;
        _clock = clock ?? (() => Environment.TickCount64);
    }

    /// <summary>How many keys have a bucket now.</summary>
    public int Count => _buckets.Count;

    /// <summary>
    /// Takes one token of <paramref name="key"/>'s bucket; false when it is empty, with how long until
    /// one is there again in <paramref name="retryAfterMs"/> (at least 1).
    /// </summary>
    public bool TryTake(string key, out int retryAfterMs)
    {
        var now = _clock();
        var bucket = BucketOf(key, now);
        lock (bucket)
        {
            bucket.Refill(now, _capacity, _perMs);
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                retryAfterMs = 0;
                return true;
            }

            // Rounded first, so floating-point dust does not add a millisecond.
            retryAfterMs = Math.Max(1, (int)Math.Ceiling(Math.Round((1 - bucket.Tokens) / _perMs, 6)));
            return false;
        }
    }

    /// <summary>
    /// Takes <paramref name="amount"/> from <paramref name="key"/>'s bucket, whatever it holds: a cost
    /// known only once it is paid (bytes served) puts the bucket in debt, and <see cref="IsInDebt"/>
    /// then holds the key back until the refill has paid it off.
    /// </summary>
    public void Spend(string key, double amount)
    {
        var now = _clock();
        var bucket = BucketOf(key, now);
        lock (bucket)
        {
            bucket.Refill(now, _capacity, _perMs);
            bucket.Tokens -= amount;
        }
    }

    // The key's bucket, a full one when it has none; every so often first sweeps away refilled ones.
    private Bucket BucketOf(string key, long now)
    {
        if (Interlocked.Increment(ref _calls) % SweepEvery == 0)
        {
            Sweep(now);
        }

        return _buckets.GetOrAdd(key, static (_, state) => new Bucket(state._capacity, state.now), (_capacity, now));
    }

    /// <summary>
    /// True while <paramref name="key"/>'s bucket is below zero, with how long until it is not in
    /// <paramref name="retryAfterMs"/> (at least 1); false, and 0, otherwise.
    /// </summary>
    public bool IsInDebt(string key, out int retryAfterMs)
    {
        retryAfterMs = 0;
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            return false;
        }

        var now = _clock();
        lock (bucket)
        {
            bucket.Refill(now, _capacity, _perMs);
            if (bucket.Tokens >= 0)
            {
                return false;
            }

            retryAfterMs = Math.Max(1, (int)Math.Ceiling(Math.Round(-bucket.Tokens / _perMs, 6)));
            return true;
        }
    }

    private void Sweep(long now)
    {
        foreach (var (key, bucket) in _buckets)
        {
            lock (bucket)
            {
                bucket.Refill(now, _capacity, _perMs);
                if (bucket.Tokens >= _capacity)
                {
                    // A full bucket: dropping it changes nothing (a new one starts full).
                    _buckets.TryRemove(new KeyValuePair<string, Bucket>(key, bucket));
                }
            }
        }
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens = tokens;
        private long _stamp = stamp;

        public void Refill(long now, double capacity, double perMs)
        {
            if (now > _stamp)
            {
                Tokens = Math.Min(capacity, Tokens + ((now - _stamp) * perMs));
                _stamp = now;
            }
        }
    }
}
