using Microsoft.Extensions.Options;
using NoteSync.Server.Options;

namespace NoteSync.Server.Fanout;

/// <summary>
/// Runs <see cref="IHeadCheck.CheckHeadsAsync"/> every <c>NoteSync:Sync:HeadCheckIntervalMs</c>, and at
/// once when the doorbell asks (<see cref="IHeadCheck.CheckWanted"/>), until shutdown. Does nothing
/// without a head check (the in-process doorbell: one node, where every commit rings locally, so nothing
/// can be missed).
/// </summary>
internal sealed partial class DoorbellHeadCheckService(IHeadCheck? heads, IOptions<NoteSyncOptions> options, ILogger<DoorbellHeadCheckService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (heads is null)
        {
            return;
        }

        var interval = TimeSpan.FromMilliseconds(options.Value.Sync.HeadCheckIntervalMs);

        // At most one pending request: a burst of reconnection events while a check runs asks for one more check, not one each.
        using var wanted = new SemaphoreSlim(0, 1);
        void Want()
        {
            try
            {
                wanted.Release();
            }
            catch (SemaphoreFullException)
            {
                // A check is already asked for.
            }
            catch (ObjectDisposedException)
            {
                // Stopped.
            }
        }

        heads.CheckWanted += Want;
        try
        {
            while (true)
            {
                await wanted.WaitAsync(interval, stoppingToken).ConfigureAwait(false);
                try
                {
                    await heads.CheckHeadsAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // CheckHeadsAsync logs its own failures; this is a bug's last line of defence.
                    Log.LoopFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
        finally
        {
            heads.CheckWanted -= Want;
        }
    }

    private static partial class Log
    {
        // Event 325 is one of the Redis doorbell's (320-339).
        [LoggerMessage(325, LogLevel.Error, "The doorbell head check loop failed; it restarts at the next interval", EventName = "DoorbellHeadCheckLoopFailed")]
        public static partial void LoopFailed(ILogger logger, Exception exception);
    }
}
