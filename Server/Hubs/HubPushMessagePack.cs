using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Hubs;

/// <summary>
/// Reads the hub's <c>Push</c> argument in the SignalR MessagePack protocol with
/// <see cref="SyncPushMessagePackReader"/>, the raw WebSocket's rules and texts. The attribute-driven
/// formatter would read a change without <c>value</c> as a delete, and fail the invocation with
/// SignalR's binding error for a field of the wrong type.
/// </summary>
internal static class HubPushMessagePack
{
    /// <summary>Puts the push formatter before the protocol's own resolver, which still writes and reads everything else.</summary>
    public static void Configure(MessagePackHubProtocolOptions options) =>
        options.SerializerOptions = options.SerializerOptions.WithResolver(
            CompositeResolver.Create([new Formatter()], [options.SerializerOptions.Resolver]));

    private sealed class Formatter : IMessagePackFormatter<HubPush?>
    {
        public HubPush? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            // Nil is Push(null), refused by the hub as JSON's null is.
            if (reader.TryReadNil())
            {
                return null;
            }

            var push = SyncPushMessagePackReader.Read(ref reader, out var error, out var requestId);
            return HubPush.Of(push, error, requestId);
        }

        public void Serialize(ref MessagePackWriter writer, HubPush? value, MessagePackSerializerOptions options) =>
            throw new NotSupportedException("a hub push is only ever read");
    }
}
