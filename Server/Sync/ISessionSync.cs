using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// What a <see cref="DeviceSession"/> needs of the sync layer (implemented by <see cref="SyncService"/>):
/// apply a push, answer it, read a live push, and hear the space's commits.
/// </summary>
internal interface ISessionSync
{
    /// <inheritdoc cref="SyncService.ApplyAsync"/>
    Task<AppliedPush> ApplyAsync(string space, string deviceId, SyncPush push, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="SyncService.AnswerAsync"/>
    Task<PushResult> AnswerAsync(string space, string deviceId, SyncPush push, AppliedPush applied, long liveSince = -1, long sentCursor = -1, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="SyncService.GetLiveFrameAsync"/>
    Task<LiveFrame?> GetLiveFrameAsync(string space, long after, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="SyncService.IsPullBudgetSpent"/>
    bool IsPullBudgetSpent(string space, out int retryAfterMs);

    /// <inheritdoc cref="SyncService.SentLive"/>
    void SentLive(string space, long bytes);

    /// <inheritdoc cref="SyncService.Listen"/>
    IDisposable Listen(string space, Fanout.ISpaceListener<LiveFrame> listener);
}
