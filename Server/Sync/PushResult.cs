using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

/// <summary>The answer to one push: an ack, or an error (nothing applied).</summary>
internal readonly record struct PushResult(SyncAck? Ack, ErrorFrame? Error)
{
    public static PushResult Acked(SyncAck ack) => new(ack, null);

    public static PushResult Failed(ErrorFrame error) => new(null, error);
}
