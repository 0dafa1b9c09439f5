using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NoteSync.Server.Fanout;
using NoteSync.Server.Limits;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;
using NoteSync.Server.Sync;

namespace NoteSync.Tests.Infra;

/// <summary>A <see cref="SyncService"/> built by hand over a test's store, as one node alone with no server around it.</summary>
internal static class TestSyncServices
{
    public static SyncService Create(ISyncStore store, IOptions<NoteSyncOptions> options) => new(
        store,
        new RecentChanges(options),
        new InProcessDoorbell<LiveFrame>(),
        options,
        new NoteSyncMetrics(new TestMeterFactory()),
        new PullBudget(options),
        NullLogger<SyncService>.Instance);
}
