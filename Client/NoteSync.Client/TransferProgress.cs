namespace NoteSync.Client;

/// <summary>
/// How an upload goes, as the transports tell it chunk by chunk: what the push's stall watchdog reads
/// (<see cref="NoteSyncClientOptions.UploadStallTimeout"/>). Only a send under way can stall: the wait for
/// the answer once everything went is the push's deadline's business, and bytes received (a keep-alive
/// ping) say nothing of the uplink.
/// </summary>
internal sealed class TransferProgress
{
    private long _lastMoved = Environment.TickCount64;
    private int _sending;

    /// <summary>A chunk is about to be sent; a send starting after none was under way starts the clock afresh.</summary>
    public void Sending()
    {
        if (Interlocked.Increment(ref _sending) == 1)
        {
            Volatile.Write(ref _lastMoved, Environment.TickCount64);
        }
    }

    /// <summary>The chunk went (into the connection: the link took it).</summary>
    public void Sent()
    {
        Volatile.Write(ref _lastMoved, Environment.TickCount64);
        Interlocked.Decrement(ref _sending);
    }

    /// <summary>How long a send under way has made no progress; zero when none is under way.</summary>
    public TimeSpan Stalled => Volatile.Read(ref _sending) > 0
        ? TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastMoved))
        : TimeSpan.Zero;
}
