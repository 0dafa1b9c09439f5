using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// The ack_timestamps one connection received, as ordered sequences. A sequence is in the order the
/// client saw it: the raw WebSocket's frames in wire order; the hub's live frames, and separately the
/// results of its (one at a time) invocations, since the SignalR client hands the two over on
/// different threads.
/// </summary>
internal sealed record ConnectionLog(string ConnectionId, string Device, int Node, Transport Transport, string Sequence, IReadOnlyList<ReceivedAck> Acks);
