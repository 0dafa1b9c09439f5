using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Hubs;

/// <summary>
/// Reads the hub's <c>Push</c> argument in the SignalR JSON protocol with the raw WebSocket's strict
/// reader (<see cref="SyncPushReader.ReadValue"/>). The serializer's own reading would take a change
/// without <c>value</c> for a delete, and answer a field of the wrong type with SignalR's binding error.
/// </summary>
internal static class HubPushJson
{
    /// <summary>Makes <paramref name="options"/> (the hub protocol's payload options) read <see cref="HubPush"/>.</summary>
    public static void Configure(JsonSerializerOptions options) => options.TypeInfoResolverChain.Insert(0, new Resolver());

    // Source-generated contexts know only their own types; this one type is read by hand.
    private sealed class Resolver : IJsonTypeInfoResolver
    {
        public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options) =>
            type == typeof(HubPush) ? JsonMetadataServices.CreateValueInfo<HubPush>(options, new Converter()) : null;
    }

    private sealed class Converter : JsonConverter<HubPush>
    {
        // A JSON null never reaches Read (HandleNull is false): Push gets null, refused there.
        public override HubPush Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var push = SyncPushReader.ReadValue(ref reader, out var error, out var requestId);
            return HubPush.Of(push, error, requestId);
        }

        public override void Write(Utf8JsonWriter writer, HubPush value, JsonSerializerOptions options) =>
            throw new NotSupportedException("a hub push is only ever read");
    }
}
