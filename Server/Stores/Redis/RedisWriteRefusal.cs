using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// A Redis that answers <c>PING</c> but refuses every write: it cannot persist (<c>MISCONF</c>: the AOF or
/// a snapshot failed, a full disk), it is at <c>maxmemory</c> with <c>noeviction</c> (<c>OOM</c>), or the
/// node writes to a replica (<c>READONLY</c>). Remembered from a refused push so <c>/healthz</c> can say
/// so, and cleared by the next write that goes in.
/// </summary>
internal sealed class RedisWriteRefusal
{
    // The probe while a refusal is remembered: a write that expires by itself, so it leaves nothing.
    private static readonly RedisKey ProbeKey = RedisKeys.HealthProbe;
    private static readonly TimeSpan ProbeExpiry = TimeSpan.FromSeconds(10);

    private volatile string? _reason;

    /// <summary>Why Redis refuses writes, or null when no refusal was seen since the last write went in.</summary>
    public string? Reason => _reason;

    /// <summary>
    /// The reason for <c>/healthz</c> when <paramref name="error"/> is such a refusal, or null. Fixed
    /// texts: Redis's own message may name its files.
    /// </summary>
    public static string? ReasonOf(Exception error)
    {
        if (error is not RedisServerException { Message: var message })
        {
            return null;
        }

        if (message.Contains("MISCONF", StringComparison.Ordinal))
        {
            return "Redis refuses writes: it cannot persist to its disk (MISCONF)";
        }

        if (message.Contains("OOM command not allowed", StringComparison.Ordinal))
        {
            return "Redis refuses writes: it is at its maxmemory (OOM)";
        }

        return message.Contains("READONLY", StringComparison.Ordinal) ? "Redis refuses writes: it is a read-only replica (READONLY)" : null;
    }

    /// <summary>Remembers a refused write, if <paramref name="error"/> is one.</summary>
    public void Observe(Exception error)
    {
        if (ReasonOf(error) is { } reason)
        {
            _reason = reason;
        }
    }

    /// <summary>A write went in: Redis takes writes again.</summary>
    public void Clear() => _reason = null;

    /// <summary>
    /// While a refusal is remembered, tries one write: Redis may take writes again with no push to show
    /// it. Returns the refusal that stands, or null.
    /// </summary>
    public async Task<string?> ProbeAsync(IDatabase database, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_reason is null)
        {
            return null;
        }

        try
        {
            await database.StringSetAsync(ProbeKey, "1", ProbeExpiry, flags: CommandFlags.DemandMaster).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            Clear();
            return null;
        }
        catch (RedisServerException ex) when (ReasonOf(ex) is { } reason)
        {
            _reason = reason;
            return reason;
        }
    }
}
