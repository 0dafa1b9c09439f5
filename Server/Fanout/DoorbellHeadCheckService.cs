using Microsoft.Extensions.Options;
using NoteSync.Server.Options;

namespace NoteSync.Server.Fanout;

/// <summary>
/// Runs <see cref="RedisDoorbell.CheckHeadsAsync"/> every <c>NoteSync:Sync:HeadCheckIntervalMs</c> on one
/// <see cref="PeriodicTimer"/>, until shutdown. Does nothing with the in-process doorbell (one node:
/// every commit rings locally, so nothing can be missed).
/// </summary>
internal sealed class DoorbellHeadCheckService(IDoorbell doorbell, IOptions<NoteSyncOptions> options, ILogger<RedisDoorbell> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (doorbell is not RedisDoorbell redis)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.Sync.HeadCheckIntervalMs));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await redis.CheckHeadsAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // CheckHeadsAsync logs its own failures; this is a bug's last line of defence.
                    RedisDoorbell.LogLoopFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }
}
