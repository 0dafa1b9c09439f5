using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>
/// Runs the hot paths once before the server listens, so their compilation happens at start-up and
/// not inside the first devices' pushes. With <c>TieredCompilationQuickJitForLoops</c> off (see
/// NoteSync.Server.csproj), a method with a loop is compiled fully optimized on its first call: this
/// is that first call. It reads (never writes) the store, in a space no device can name.
/// </summary>
internal sealed partial class WarmUpService(ISyncStore store, ILogger<WarmUpService> logger) : IHostedService
{
    // No device can reach this space: with auth off every device is in "default", and a token's space
    // claim may hold no control character (TokenAuthorization), a NUL least of all.
    private const string Space = "\0warm-up";

    private static readonly byte[] SamplePush = """
        {"type":"sync_push","changes":[{"key":"note:a","value":"text\nwith \"escapes\" and é","timestamp":2,"device_id":"d"},{"key":"note:b","value":null,"timestamp":3}],"last_ack":1,"request_id":"w"}
        """u8.ToArray();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var push = SyncPushReader.Read(SamplePush, out _, out _)!;
        PushValidator.Validate(push, "d", ProtocolLimits.Default);

        var state = LwwMerge.Merge(null, new Write(2, "d", "x"), out _);
        state = LwwMerge.Merge(state, new Write(2, "e", "y"), out _);
        var changes = new List<Change>();
        for (var i = 0; i < 64; i++)
        {
            changes.Add(state.ToChange($"note:{i}"));
            _ = new StoredEntry($"note:{i}", i + 1, state).EstimatedWireBytes;
        }

        SyncAckWriter.Write(new SyncAck { AckTimestamp = 1, Changes = changes, RequestId = "w", More = true });
        await store.ReadSinceAsync(Space, 0, 10, 1 << 20, cancellationToken);
        var elapsedMs = TimeProvider.System.GetElapsedTime(started).TotalMilliseconds;
        Log.WarmedUp(logger, elapsedMs);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
