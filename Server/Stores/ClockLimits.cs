using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Stores;

/// <summary>
/// How far one commit may move a space's clock, and what follows from it for the Redis store's
/// failover fencing. A change may lead the clock before its push by at most <see cref="MaxLead"/>, and
/// each change of a push moves the clock by at least 1, so one commit moves it by at most
/// <see cref="MaxStep"/>. That bound is what makes the fencing margin a margin: see <see cref="FailoverMargin"/>.
/// </summary>
/// <param name="MaxLead"><c>NoteSync:Limits:MaxClockLead</c>.</param>
/// <param name="MaxChangesPerPush"><c>NoteSync:Limits:MaxChangesPerPush</c>.</param>
internal sealed record ClockLimits(long MaxLead, int MaxChangesPerPush)
{
    /// <summary>How many unreplicated commits, each moving the clock as far as allowed, the failover margin covers.</summary>
    public const long FencedCommits = 10_000;

    /// <summary>The defaults of both settings.</summary>
    public static ClockLimits Default { get; } = new(LimitsOptions.DefaultMaxClockLead, new LimitsOptions().MaxChangesPerPush);

    /// <summary>The most one commit can move a space's clock.</summary>
    public long MaxStep => MaxLead + MaxChangesPerPush;

    /// <summary>
    /// How far the Redis store jumps a space's clock at its first change under a primary it has no
    /// record of (after a failover or restart, or for a space whose record was lost with its first
    /// writes). The old primary can have handed out seqs past the new one's clock only through commits
    /// that never reached it, each moving the clock by at most <see cref="MaxStep"/>; the jump passes
    /// <see cref="FencedCommits"/> such commits, which is far beyond what replication lags behind
    /// (about 10^10 seqs with the defaults: 10,000 hostile commits, or ten billion ordinary ones). With
    /// the defaults and the largest allowed settings, 2^53 still holds hundreds of thousands of jumps.
    /// </summary>
    public long FailoverMargin => MaxStep > ProtocolLimits.MaxTimestamp / FencedCommits ? ProtocolLimits.MaxTimestamp : MaxStep * FencedCommits;
}
