using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;
using MessagePack.Resolvers;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

/// <summary>
/// The hub's two push readers, <see cref="SyncPushReader.ReadValue"/> (JSON) and
/// <see cref="SyncPushMessagePackReader"/>, against each other and the raw WebSocket's texts: the same
/// push, JSON or transcoded to MessagePack, is refused with the same words.
/// </summary>
public sealed class HubPushReadersTests
{
    private const string Ok = "{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1}";

    public static TheoryData<string, string> IllFormedPushes => new()
    {
        { "[]", "the push must be an object" },
        { "5", "the push must be an object" },
        { "\"sync_push\"", "the push must be an object" },
        { "{\"type\":5,\"changes\":[]}", "type must be a string" },
        { "{\"type\":\"sync_ack\",\"changes\":[]}", "unknown type 'sync_ack' (expected 'sync_push')" },
        { "{\"type\":\"sync_push\",\"type\":\"sync_push\",\"changes\":[]}", "duplicate field 'type'" },
        { "{\"changes\":[],\"changes\":[]}", "duplicate field 'changes'" },
        { "{\"last_ack\":0}", "changes is required (an empty array for a pure pull)" },
        { "{\"changes\":{}}", "changes must be an array" },
        { "{\"changes\":null}", "changes must be an array" },
        { "{\"changes\":[],\"last_ack\":-1}", "last_ack must be an integer in 0..2^53-1" },
        { "{\"changes\":[],\"last_ack\":\"5\"}", "last_ack must be an integer in 0..2^53-1" },
        { "{\"changes\":[],\"last_ack\":9007199254740992}", "last_ack must be an integer in 0..2^53-1" },
        { "{\"changes\":[],\"request_id\":5}", "request_id must be a string" },
        { "{\"changes\":[],\"epoch\":5}", "epoch must be a string" },
        { "{\"changes\":[],\"epoch\":\"a\",\"epoch\":\"b\"}", "duplicate field 'epoch'" },
        { "{\"changes\":[5]}", "changes[0] must be an object" },
        { "{\"changes\":[" + Ok + "," + Ok + ",[]]}", "changes[2] must be an object" },
        { "{\"changes\":[{\"value\":\"v\",\"timestamp\":1}]}", "changes[0].key is required" },
        { "{\"changes\":[{\"key\":7,\"value\":\"v\",\"timestamp\":1}]}", "changes[0].key must be a string" },
        { "{\"changes\":[{\"key\":null,\"value\":\"v\",\"timestamp\":1}]}", "changes[0].key must be a string" },
        { "{\"changes\":[{\"key\":\"note:a\",\"timestamp\":1}]}", "changes[0].value is required (null for a delete)" },
        { "{\"changes\":[{\"key\":\"note:a\",\"content\":\"v\",\"timestamp\":1}]}", "changes[0].value is required (null for a delete)" },
        { "{\"changes\":[{\"key\":\"note:a\",\"Value\":\"v\",\"timestamp\":1}]}", "changes[0].value is required (null for a delete)" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":{},\"timestamp\":1}]}", "changes[0].value must be a string or null" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":5,\"timestamp\":1}]}", "changes[0].value must be a string or null" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":false,\"timestamp\":1}]}", "changes[0].value must be a string or null" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\"}]}", "changes[0].timestamp is required" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":0}]}", "changes[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9007199254740992}]}", "changes[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":18446744073709551615}]}", "changes[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1.5}]}", "changes[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":\"5\"}]}", "changes[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":null}]}", "changes[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1,\"device_id\":5}]}", "changes[0].device_id must be a string" },
        { "{\"changes\":[{\"key\":\"note:a\",\"key\":\"note:b\",\"value\":\"v\",\"timestamp\":1}]}", "changes[0] has a duplicate field 'key'" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":null,\"value\":\"v\",\"timestamp\":1}]}", "changes[0] has a duplicate field 'value'" },
        { "{\"changes\":[{\"key\":1,\"value\":2,\"timestamp\":0}],\"type\":\"nope\"}", "changes[0].key must be a string" },
        { "{\"changes\":[" + Ok + ",{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":{}}]}", "changes[1].base must be an array of versions, or null" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":5}]}", "changes[0].base must be an array of versions, or null" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[5]}]}", "changes[0].base[0] must be an object" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[{\"timestamp\":1,\"device_id\":\"a\"},{\"device_id\":\"a\"}]}]}", "changes[0].base[1].timestamp is required" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[{\"timestamp\":1}]}]}", "changes[0].base[0].device_id is required" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[{\"timestamp\":0,\"device_id\":\"a\"}]}]}", "changes[0].base[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[{\"timestamp\":\"1\",\"device_id\":\"a\"}]}]}", "changes[0].base[0].timestamp must be an integer in 1..2^53-1" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[{\"timestamp\":1,\"device_id\":7}]}]}", "changes[0].base[0].device_id must be a string" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[{\"timestamp\":1,\"timestamp\":2,\"device_id\":\"a\"}]}]}", "changes[0].base[0] has a duplicate field 'timestamp'" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[],\"base\":[]}]}", "changes[0] has a duplicate field 'base'" },
        { "{\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":99,\"base\":[" + string.Join(",", Enumerable.Range(1, 65).Select(i => $"{{\"timestamp\":{i},\"device_id\":\"d\"}}")) + "]}]}", "changes[0].base names more than 64 versions" },
    };

    [Fact]
    public void BaseIsReadOnBothProtocolsWithUnknownFieldsIgnoredAndNullAbsent()
    {
        const string json = "{\"changes\":["
            + "{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":9,\"base\":[{\"timestamp\":3,\"device_id\":\"phone\",\"note\":1},{\"device_id\":\"laptop\",\"timestamp\":8}]},"
            + "{\"key\":\"note:b\",\"value\":\"v\",\"timestamp\":9,\"base\":[]},"
            + "{\"key\":\"note:c\",\"value\":\"v\",\"timestamp\":9,\"base\":null}]}";

        foreach (var push in new[] { ReadJson(json, out _, out _), ReadMessagePack(ToMessagePack(json), out _, out _) })
        {
            Assert.NotNull(push);
            Assert.Equal([(3L, "phone"), (8L, "laptop")], push.Changes[0].Base!.Select(v => (v.Timestamp, v.DeviceId)));
            Assert.Empty(push.Changes[1].Base!);
            Assert.Null(push.Changes[2].Base);
        }
    }

    [Theory]
    [MemberData(nameof(IllFormedPushes))]
    public void IllFormedPushIsRefusedWithTheSameTextInJsonAndMessagePack(string json, string message)
    {
        var fromJson = ReadJson(json, out var jsonError, out _);
        var fromMessagePack = ReadMessagePack(ToMessagePack(json), out var messagePackError, out _);

        Assert.Null(fromJson);
        Assert.Null(fromMessagePack);
        Assert.Equal(ProtocolError.BadRequest(message), jsonError);
        Assert.Equal(ProtocolError.BadRequest(message), messagePackError);
    }

    [Fact]
    public void EpochIsReadOnBothProtocolsAndNullIsAbsent()
    {
        foreach (var (json, epoch) in new[] { ("{\"changes\":[],\"epoch\":\"e-1\"}", "e-1"), ("{\"changes\":[],\"epoch\":null}", null) })
        {
            Assert.Equal(epoch, ReadJson(json, out _, out _)!.Epoch);
            Assert.Equal(epoch, ReadMessagePack(ToMessagePack(json), out _, out _)!.Epoch);
        }
    }

    [Fact]
    public void RequestIdIsRecoveredFromARefusedPush()
    {
        const string Json = "{\"changes\":[{\"key\":\"note:a\",\"timestamp\":1}],\"request_id\":\"r1\"}";

        ReadJson(Json, out _, out var fromJson);
        ReadMessagePack(ToMessagePack(Json), out _, out var fromMessagePack);

        Assert.Equal("r1", fromJson);
        Assert.Equal("r1", fromMessagePack);
    }

    [Fact]
    public void NullValueIsADeleteAndTypeLastAckRequestIdAndDeviceIdMayBeNullOrAbsent()
    {
        const string Json = "{\"type\":null,\"last_ack\":null,\"request_id\":null,\"x\":{\"y\":[1,2]},\"changes\":["
            + "{\"key\":\"note:a\",\"value\":null,\"timestamp\":9007199254740991,\"device_id\":null,\"conflict\":true,\"conflicts\":[]},"
            + "{\"key\":\"note:b\",\"value\":\"text\",\"timestamp\":1}]}";

        foreach (var push in new[] { ReadJson(Json, out var jsonError, out _), ReadMessagePack(ToMessagePack(Json), out var messagePackError, out _) })
        {
            Assert.NotNull(push);
            Assert.Null(push.Type);
            Assert.Null(push.LastAck);
            Assert.Collection(
                push.Changes,
                a => Assert.Equivalent(new Change { Key = "note:a", Value = null, Timestamp = ProtocolLimits.MaxTimestamp }, a),
                b => Assert.Equivalent(new Change { Key = "note:b", Value = "text", Timestamp = 1 }, b));
        }
    }

    [Fact]
    public void TypedClientsPushReadsBackWithItsDeleteOnBothProtocols()
    {
        // What the .NET clients write: every field, value included when null (a delete).
        var sent = new SyncPush
        {
            Changes = [new Change { Key = "note:gone", Value = null, Timestamp = 7 }, new Change { Key = "note:kept", Value = "v", Timestamp = 8, DeviceId = "d" }],
            LastAck = 5,
            RequestId = "r",
        };
        var options = new JsonSerializerOptions();
        HubJson.Configure(options);
        var json = JsonSerializer.SerializeToUtf8Bytes(sent, options);
        var messagePack = MessagePackSerializer.Serialize(sent, ContractlessStandardResolver.Options);

        var jsonReader = new Utf8JsonReader(json);
        jsonReader.Read();
        var fromJson = SyncPushReader.ReadValue(ref jsonReader, out var jsonError, out _);
        var fromMessagePack = ReadMessagePack(messagePack, out var messagePackError, out _);

        Assert.Null(jsonError);
        Assert.Null(messagePackError);
        Assert.Equivalent(sent, fromJson);
        Assert.Equivalent(sent, fromMessagePack);
    }

    [Fact]
    public void InvalidUtf8OrABinValueIsRefused()
    {
        static byte[] WithValue(WriteAction writeValue) => Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("changes");
            w.WriteArrayHeader(1);
            w.WriteMapHeader(3);
            w.Write("key");
            w.Write("note:a");
            w.Write("timestamp");
            w.Write(1);
            w.Write("value");
            writeValue(ref w);
        });

        // A lone surrogate as a lax encoder writes it (CESU-8), and a truncated sequence.
        ReadMessagePack(WithValue((ref MessagePackWriter w) => w.WriteString([0xED, 0xA0, 0x80])), out var surrogate, out _);
        ReadMessagePack(WithValue((ref MessagePackWriter w) => w.WriteString([0x61, 0xC3])), out var truncated, out _);
        ReadMessagePack(WithValue((ref MessagePackWriter w) => w.Write([0x61, 0x62])), out var bin, out _);

        Assert.Equal(ProtocolError.BadRequest("changes[0].value must be valid Unicode text"), surrogate);
        Assert.Equal(ProtocolError.BadRequest("changes[0].value must be valid Unicode text"), truncated);
        Assert.Equal(ProtocolError.BadRequest("changes[0].value must be a string or null"), bin);
    }

    [Fact]
    public void AMillionDeepUnknownFieldIsSkippedWithoutRecursion()
    {
        const int Depth = 1_000_000;
        var bytes = Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("x");
            for (var i = 0; i < Depth; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.WriteNil();
            w.Write("changes");
            w.WriteArrayHeader(0);
        });

        var push = ReadMessagePack(bytes, out var error, out _);

        Assert.Null(error);
        Assert.Empty(push!.Changes);
    }

    private static SyncPush? ReadJson(string json, out ProtocolError? error, out string? requestId)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        var push = SyncPushReader.ReadValue(ref reader, out error, out requestId);

        // The reader is left on the value's last token, as a host's serializer requires.
        Assert.False(reader.Read());
        return push;
    }

    private static SyncPush? ReadMessagePack(byte[] bytes, out ProtocolError? error, out string? requestId)
    {
        var reader = new MessagePackReader(bytes);
        var push = SyncPushMessagePackReader.Read(ref reader, out error, out requestId);
        Assert.True(reader.End);
        return push;
    }

    // JsonDocument keeps duplicate properties, so duplicates survive into the map.
    private static byte[] ToMessagePack(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return Write((ref MessagePackWriter w) => Transcode(ref w, root));
    }

    private static void Transcode(ref MessagePackWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = element.EnumerateObject().ToList();
                writer.WriteMapHeader(properties.Count);
                foreach (var property in properties)
                {
                    writer.Write(property.Name);
                    Transcode(ref writer, property.Value);
                }

                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    Transcode(ref writer, item);
                }

                break;
            case JsonValueKind.String:
                writer.Write(element.GetString());
                break;
            case JsonValueKind.Number when element.TryGetInt64(out var signed):
                writer.Write(signed);
                break;
            case JsonValueKind.Number when element.TryGetUInt64(out var unsigned):
                writer.Write(unsigned);
                break;
            case JsonValueKind.Number:
                writer.Write(element.GetDouble());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.Write(element.GetBoolean());
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private delegate void WriteAction(ref MessagePackWriter writer);

    private static byte[] Write(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
