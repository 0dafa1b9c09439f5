using System.Text.Json.Serialization;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// Source-generated System.Text.Json metadata for every frame, with the wire's snake_case names.
/// Incoming raw frames are read by <see cref="SyncPushReader"/>, which is stricter; this context writes
/// frames and reads them where a host's serializer is in charge (SignalR JSON, clients).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SyncPush))]
[JsonSerializable(typeof(SyncAck))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(Change))]
[JsonSerializable(typeof(List<ConflictSibling>))]
[JsonSerializable(typeof(NoteHistory))]
[JsonSerializable(typeof(NoteVersion))]
[JsonSerializable(typeof(TrashList))]
[JsonSerializable(typeof(MergeSuggestion))]
public sealed partial class NoteSyncJsonContext : JsonSerializerContext;
