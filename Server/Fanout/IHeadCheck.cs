namespace NoteSync.Server.Fanout;

/// <summary>A doorbell that can lose rings (pub/sub across nodes) and so must be checked against the store's clocks.</summary>
internal interface IHeadCheck
{
    /// <summary>
    /// Raised when a check should not wait for the next interval: the connection rings travel on came
    /// back, so rings published while it was away are lost. May be raised on any thread, in bursts.
    /// </summary>
    event Action? CheckWanted;

    /// <summary>Reads the clock of every space with local listeners and rings them with it. Never throws but for cancellation.</summary>
    Task CheckHeadsAsync(CancellationToken cancellationToken);
}
