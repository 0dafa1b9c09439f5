using Microsoft.Extensions.Options;
using NoteSync.Server.Options;

namespace NoteSync.Server.Limits;

/// <summary>
/// The bytes a node serves from each space's history (<c>NoteSync:Limits:PullBytesPerSecond</c>,
/// <c>PullBytesBurst</c>): answers and catch-up pages, counted once sent; live pushes of a commit, sent
/// to every device of the space, are the write's cost and free. A pull is cheap to ask for and can be
/// costly to serve, so the cost is charged after the fact: a space that has spent its bucket is held
/// back (pulls refused with <c>rate_limited</c>, catch-up paused) until the refill has paid it off, and
/// other spaces never wait for it. Counted per node.
/// </summary>
internal sealed class PullBudget(IOptions<NoteSyncOptions> options)
{
    private readonly RateLimitTable _spaces = new(options.Value.Limits.PullBytesBurst, options.Value.Limits.PullBytesPerSecond);

    /// <summary>Charges <paramref name="bytes"/> served from <paramref name="space"/>.</summary>
    public void Served(string space, long bytes)
    {
        if (bytes > 0)
        {
            _spaces.Spend(space, bytes);
        }
    }

    /// <summary>True while <paramref name="space"/> has served more than its budget, with the wait until it has not.</summary>
    public bool IsSpent(string space, out int retryAfterMs) => _spaces.IsInDebt(space, out retryAfterMs);
}
