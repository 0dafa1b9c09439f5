using NoteSync.Bench.Measure;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// Fires action i at <c>schedule[i]</c> on a dedicated thread, whatever the replies: a slow server
/// shows up as latency counted from the scheduled time, never as a slower send rate (no
/// coordinated omission). Actions must not block; they only enqueue.
/// </summary>
internal static class OpenLoopScheduler
{
    public static Task RunAsync(long[] schedule, Action<int> fire, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                for (var i = 0; i < schedule.Length; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    PreciseDelay.Until(schedule[i]);
                    fire(i);
                }

                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop-scheduler",
        };
        thread.Start();
        return done.Task;
    }
}
