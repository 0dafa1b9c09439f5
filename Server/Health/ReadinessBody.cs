using System.Text.Json.Serialization;

namespace NoteSync.Server.Health;

/// <summary>
/// The body of <c>GET /healthz</c>: <c>{"status":"healthy"}</c>, or <c>{"status":"unhealthy","problem":...,"reason":...}</c>
/// with a stable <c>problem</c> code for scripts and a sentence for people (docs/protocol.md §7).
/// </summary>
internal sealed record ReadinessBody(string Status, string? Problem = null, string? Reason = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReadinessBody))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
