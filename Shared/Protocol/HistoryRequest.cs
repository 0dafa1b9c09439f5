namespace NoteSync.Shared.Protocol;

/// <summary>A history request on the raw WebSocket (docs/protocol.md §4.13): <c>history</c>, <c>version</c>, <c>trash</c> or <c>merge</c>.</summary>
/// <param name="Type">One of <see cref="FrameTypes.History"/>, <see cref="FrameTypes.Version"/>, <see cref="FrameTypes.Trash"/>, <see cref="FrameTypes.Merge"/>.</param>
/// <param name="Key">The note (all but trash), else null.</param>
/// <param name="Timestamp">The version's timestamp (version), else 0.</param>
/// <param name="DeviceId">The version's writer (version), else null.</param>
/// <param name="RequestId">Echoed in the answer.</param>
public sealed record HistoryRequest(string Type, string? Key, long Timestamp, string? DeviceId, string? RequestId);
