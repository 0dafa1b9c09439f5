using System.Diagnostics;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// Whether the store's disk is full now, and since when: from the first commit that failed for want of
/// space until a probe finds room again. One such stretch is an episode, logged once at each end
/// rather than once per refused push. The writer changes it; health checks read it from other threads.
/// </summary>
internal sealed class DiskFullEpisode
{
    // Stopwatch ticks when the episode began; 0 while the disk has room.
    private long _since;
    private long _refused;

    public bool IsFull => Volatile.Read(ref _since) != 0;

    /// <summary>Counts a refused group; true when it starts an episode (the caller logs it).</summary>
    public bool Refused(int pushes)
    {
        Interlocked.Add(ref _refused, pushes);
        if (IsFull)
        {
            return false;
        }

        Volatile.Write(ref _since, Math.Max(1, Stopwatch.GetTimestamp()));
        return true;
    }

    /// <summary>Ends the episode; its length and how many pushes it refused, or null when there was none.</summary>
    public (TimeSpan Lasted, long Refused)? End()
    {
        var since = Interlocked.Exchange(ref _since, 0);
        if (since == 0)
        {
            return null;
        }

        return (Stopwatch.GetElapsedTime(since), Interlocked.Exchange(ref _refused, 0));
    }
}
