namespace NoteSync.Bench.Devices;

/// <summary>One write of a push: key <c>&lt;device write prefix&gt;&lt;KeyNumber&gt;</c>, value marked with <c>WriteIndex</c>.</summary>
internal readonly record struct WriteSpec(long KeyNumber, long WriteIndex, int Size, int PadOffset);

/// <summary>A version another write was edited from (docs/protocol.md §2.2).</summary>
internal readonly record struct BaseVersion(long Timestamp, string DeviceId);

/// <summary>
/// A write of a whole text under a key of the scenario's choosing, with a <c>base</c> (an empty one for a
/// new note), as a client that edits notes sends it. <see cref="Tag"/> is handed to
/// <see cref="IDeviceObserver.OnTextSent"/> (-1: nobody asked).
/// </summary>
internal sealed record TextWrite(string Key, string Value, BaseVersion[] Base, long Tag = -1);

/// <summary>
/// A <c>sync_push</c> waiting in a device's outbox. Timestamps, request id and <c>last_ack</c> are
/// filled in by the device's send loop at the moment it goes on the wire.
/// </summary>
internal sealed class PushRequest
{
    private PushRequest(WriteSpec[] writes, long? lastAck, long scheduledTicks, bool isPull, bool wantsCompletion, bool measured = false, TextWrite[]? texts = null)
    {
        Measured = measured;
        Writes = writes;
        Texts = texts ?? [];
        LastAck = lastAck;
        ScheduledTicks = scheduledTicks;
        IsPull = isPull;
        Completion = wantsCompletion ? new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously) : null;
    }

    public WriteSpec[] Writes { get; }

    /// <summary>Text writes, sent after <see cref="Writes"/> in the same push.</summary>
    public TextWrite[] Texts { get; }

    /// <summary>The timestamp the send loop gave the push's first write (the others follow it by one each); 0 until sent.</summary>
    public long FirstTimestamp { get; set; }

    /// <summary>Null: the device's cursor when sent.</summary>
    public long? LastAck { get; }

    /// <summary>When an open-loop schedule wanted it sent (0: unscheduled); send lag is measured against it.</summary>
    public long ScheduledTicks { get; }

    public bool IsPull { get; }

    /// <summary>Counts toward send lag and push->ack figures (warm-up writes do not).</summary>
    public bool Measured { get; }

    /// <summary>Completes with the answering ack's <c>ack_timestamp</c>, or fails on an error frame.</summary>
    public TaskCompletionSource<long>? Completion { get; }

    public static PushRequest Pull(long? lastAck) => new([], lastAck, 0, isPull: true, wantsCompletion: false);

    public static PushRequest Write(WriteSpec write, long scheduledTicks, bool measured) =>
        new([write], null, scheduledTicks, isPull: false, wantsCompletion: false, measured);

    public static PushRequest Batch(WriteSpec[] writes) => new(writes, null, 0, isPull: false, wantsCompletion: true, measured: true);

    public static PushRequest Text(TextWrite write, long scheduledTicks, bool measured) =>
        new([], null, scheduledTicks, isPull: false, wantsCompletion: false, measured, [write]);

    public static PushRequest TextBatch(TextWrite[] writes) => new([], null, 0, isPull: false, wantsCompletion: true, measured: false, writes);
}
