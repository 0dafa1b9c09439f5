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
internal sealed class PullBudget(IOptions<NoteSyncOptions> options)
{
    private readonly RateLimitTable _spaces = new(options.Value.Limits.PullBytesBurst, options.Value.Limits.PullBytesPerSecond);

    /// <summary>Charges <paramref name="bytes"/> sent on behalf of <paramref name="space"/>.</summary>
    public void Served(string space, long bytes)
    {
        if (bytes > 0)
        {
            _spaces.Spend(space, bytes);
        }
    }

    /// <summary>True while <paramref name="space"/> has been sent more than its budget, with the wait until it has not.</summary>
    public bool IsSpent(string space, out int retryAfterMs) => _spaces.IsInDebt(space, out retryAfterMs);
}
