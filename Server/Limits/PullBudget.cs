using Microsoft.Extensions.Options;
using NoteSync.Server.Options;

namespace NoteSync.Server.Limits;

/// <summary>
/// The bytes a node sends on behalf of each space (<c>NoteSync:Limits:PullBytesPerSecond</c>,
/// <c>PullBytesBurst</c>): answers to pulls, catch-up pages, answers to writes over HTTP or from
/// before their connection went live, and every live push, once per device it goes to. So a write
/// that is re-sent whole to every device (a note with many conflict siblings) costs its space what
/// it costs the node. Other answers to writes are not counted: they repeat what live pushes carry,
/// and a busy writer must not run out of budget on its own acknowledgements. The cost is
/// known only once paid, so it is charged after the fact: a space that has spent its bucket is held
/// back (pulls and pushes refused with <c>rate_limited</c>, catch-up paused) until the refill has
/// paid it off, and other spaces never wait for it. Counted per node.
/// </summary>
internal sealed class PullBudget(RateLimitTable spaces)
{
    public PullBudget(IOptions<NoteSyncOptions> options)
        : this(new RateLimitTable(options.Value.Limits.PullBytesBurst, options.Value.Limits.PullBytesPerSecond))
    {
    }

    /// <summary>Charges <paramref name="bytes"/> sent on behalf of <paramref name="space"/>.</summary>
    public void Served(string space, long bytes)
    {
        if (bytes > 0)
        {
            spaces.Spend(space, bytes);
        }
    }

    /// <summary>
    /// The shortest wait a spent space is told. A page is hundreds of KiB, tens of milliseconds of the
    /// default budget, so the exact wait is often shorter than the connection's read hold
    /// (<c>DeviceSession.MinReadHoldMs</c>, 100 ms): a device that ignored it was read, parsed and
    /// refused again about once a millisecond (15,000 refusals in 10 s in the abuse bench), taking the
    /// core from other spaces. The bucket keeps filling meanwhile, so the longer wait costs a device
    /// that keeps it nothing: it is then sent what the refill allows in one go.
    /// </summary>
    public const int MinRetryAfterMs = 100;

    /// <summary>True while <paramref name="space"/> has been sent more than its budget, with the wait until it has not (at least <see cref="MinRetryAfterMs"/>).</summary>
    public bool IsSpent(string space, out int retryAfterMs)
    {
        if (!spaces.IsInDebt(space, out retryAfterMs))
        {
            return false;
        }

        retryAfterMs = Math.Max(retryAfterMs, MinRetryAfterMs);
        return true;
    }
}
