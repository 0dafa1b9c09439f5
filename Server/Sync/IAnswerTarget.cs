namespace NoteSync.Server.Sync;

/// <summary>
/// Where a <see cref="DeviceSession"/> hands the answer to one push: the raw WebSocket's answers join
/// the <see cref="OutboundQueue"/>; a hub invocation completes its own reply. Called in the gate that
/// orders answers and live pushes, one answer at a time, in the order the pushes arrived.
/// </summary>
internal interface IAnswerTarget
{
    /// <summary>Sends (or queues) <paramref name="result"/>; may wait for room, which holds back the answers after it.</summary>
    ValueTask DeliverAsync(PushResult result);
}
