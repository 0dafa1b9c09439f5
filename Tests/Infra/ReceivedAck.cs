namespace NoteSync.Tests.Infra;

/// <summary>One sync_ack as a device received it: a <c>more</c> page may carry a lower ack_timestamp than the frame before it.</summary>
internal readonly record struct ReceivedAck(long AckTimestamp, bool More, string? RequestId);
