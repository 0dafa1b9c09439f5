namespace NoteSync.Server.Stores;

/// <summary>
/// A push was refused whole because a change's timestamp leads the space's clock by more than
/// <c>NoteSync:Limits:MaxClockLead</c>; nothing of it was applied. The store checks this inside the
/// commit, against the clock the push would follow, so no interleaving of pushes can get round it.
/// </summary>
internal sealed class ClockLeadException : InvalidOperationException
{
    /// <param name="changeIndex">The index in the push of the first change over the bound.</param>
    /// <param name="clock">The space's clock the push was checked against.</param>
    /// <param name="maxLead">The bound, <c>NoteSync:Limits:MaxClockLead</c>.</param>
    public ClockLeadException(int changeIndex, long clock, long maxLead)
        : base($"changes[{changeIndex}].timestamp must be at most {clock + maxLead}: the space's clock is {clock} and a change may lead it by at most {maxLead} (NoteSync:Limits:MaxClockLead)")
    {
        ChangeIndex = changeIndex;
        Clock = clock;
        MaxLead = maxLead;
    }

    public ClockLeadException()
    {
    }

    public ClockLeadException(string message)
        : base(message)
    {
    }

    public ClockLeadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The index in the push of the first change over the bound.</summary>
    public int ChangeIndex { get; }

    /// <summary>The space's clock the push was checked against.</summary>
    public long Clock { get; }

    /// <summary>The bound.</summary>
    public long MaxLead { get; }
}
