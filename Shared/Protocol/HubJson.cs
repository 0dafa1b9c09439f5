using System.Text.Json;

namespace NoteSync.Shared.Protocol;

/// <summary>The SignalR JSON hub protocol settings that make hub payloads use the raw frames' snake_case names.</summary>
public static class HubJson
{
    /// <summary>Applies NoteSync's naming and source-generated metadata to a hub protocol's payload options (server and client alike).</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.Encoder = NoteSyncJsonContext.Wire.Options.Encoder;
        options.TypeInfoResolverChain.Insert(0, NoteSyncJsonContext.Default);
    }
}
