using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

public sealed class SyncPushReaderTests
{
    private const string Type = "\"type\":\"sync_push\"";
    private const string Rid = "\"request_id\":\"r1\"";

    [Theory]
    // The frame itself
    [InlineData("[]", "frame must be a JSON object", null)]
    [InlineData("\"sync_push\"", "frame must be a JSON object", null)]
    [InlineData("{" + Rid + ",\"changes\":[]}", "type is required", "r1")]
    [InlineData("{" + Rid + ",\"type\":5,\"changes\":[]}", "type must be a string", "r1")]
    [InlineData("{" + Rid + ",\"type\":\"sync_ack\",\"changes\":[]}", "unknown type 'sync_ack' (expected 'sync_push')", "r1")]
    [InlineData("{" + Rid + "," + Type + "," + Type + ",\"changes\":[]}", "duplicate field 'type'", "r1")]
    [InlineData("{" + Type + ",\"changes\":[],\"changes\":[]," + Rid + "}", "duplicate field 'changes'", "r1")]
    [InlineData("{" + Rid + "," + Type + "}", "changes is required (an empty array for a pure pull)", "r1")]
    [InlineData("{" + Rid + "," + Type + ",\"changes\":{}}", "changes must be an array", "r1")]
    [InlineData("{" + Rid + "," + Type + ",\"changes\":null}", "changes must be an array", "r1")]
    [InlineData("{" + Type + ",\"changes\":[],\"last_ack\":-1," + Rid + "}", "last_ack must be an integer in 0..2^53-1", "r1")]
    [InlineData("{" + Type + ",\"changes\":[],\"last_ack\":\"5\"," + Rid + "}", "last_ack must be an integer in 0..2^53-1", "r1")]
    [InlineData("{" + Type + ",\"changes\":[],\"epoch\":7," + Rid + "}", "epoch must be a string", "r1")]
    [InlineData("{" + Type + ",\"changes\":[],\"request_id\":5}", "request_id must be a string", null)]
    // The changes
    [InlineData("{" + Rid + "," + Type + ",\"changes\":[5]}", "changes[0] must be an object", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1},{\"key\":\"note:b\",\"value\":\"v\",\"timestamp\":2},[]]," + Rid + "}", "changes[2] must be an object", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"value\":\"v\",\"timestamp\":1}]," + Rid + "}", "changes[0].key is required", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":7,\"value\":\"v\",\"timestamp\":1}]," + Rid + "}", "changes[0].key must be a string", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":null,\"value\":\"v\",\"timestamp\":1}]," + Rid + "}", "changes[0].key must be a string", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"timestamp\":1}]," + Rid + "}", "changes[0].value is required (null for a delete)", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"value\":{},\"timestamp\":1}]," + Rid + "}", "changes[0].value must be a string or null", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\"}]," + Rid + "}", "changes[0].timestamp is required", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1,\"device_id\":5}]," + Rid + "}", "changes[0].device_id must be a string", "r1")]
    // Lone surrogates: well-formed JSON, but not text.
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:\\ud800\",\"value\":\"v\",\"timestamp\":1}]," + Rid + "}", "changes[0].key must be valid Unicode text", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\\udc00b\",\"value\":\"v\",\"timestamp\":1}]," + Rid + "}", "changes[0].key must be valid Unicode text", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"value\":\"x\\ud800\",\"timestamp\":1}]," + Rid + "}", "changes[0].value must be valid Unicode text", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1,\"device_id\":\"\\ud83d\"}]," + Rid + "}", "changes[0].device_id must be valid Unicode text", "r1")]
    [InlineData("{" + Type + ",\"changes\":[],\"request_id\":\"r\\ud800\"}", "request_id must be valid Unicode text", null)]
    [InlineData("{\"type\":\"\\udfff\",\"changes\":[]," + Rid + "}", "type must be valid Unicode text", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"key\":\"note:b\",\"value\":\"v\",\"timestamp\":1}]," + Rid + "}", "changes[0] has a duplicate field 'key'", "r1")]
    [InlineData("{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1,\"timestamp\":2}]," + Rid + "}", "changes[0] has a duplicate field 'timestamp'", "r1")]
    public void MalformedPushIsRefusedNamingTheField(string json, string message, string? requestId)
    {
        // Act
        var push = Read(json, out var error, out var recoveredId);

        // Assert
        Assert.Null(push);
        Assert.Equal(new ProtocolError(ErrorCodes.BadRequest, message), error);
        Assert.Equal(requestId, recoveredId);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("9007199254740992")] // 2^53
    [InlineData("99999999999999999999999")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("\"5\"")]
    [InlineData("null")]
    [InlineData("true")]
    public void TimestampOutsideSafeIntegersIsRefused(string timestamp)
    {
        var json = "{" + Type + ",\"changes\":[{\"key\":\"note:a\",\"value\":\"v\",\"timestamp\":1},{\"key\":\"note:b\",\"value\":\"v\",\"timestamp\":2},"
            + "{\"key\":\"note:c\",\"value\":\"v\",\"timestamp\":" + timestamp + "}]," + Rid + "}";

        var push = Read(json, out var error, out var requestId);

        Assert.Null(push);
        Assert.Equal(ProtocolError.BadRequest("changes[2].timestamp must be an integer in 1..2^53-1"), error);
        Assert.Equal("r1", requestId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"request_id\":\"r1\",\"type\":\"sync_push\",\"changes\":[")]
    [InlineData("{\"type\":\"sync_push\",\"changes\":[]")]
    [InlineData("{\"type\":\"sync_push\",\"changes\":[],}")]
    [InlineData("{\"type\":\"sync_push\",\"changes\":[]} {}")]
    [InlineData("{\"type\":'sync_push',\"changes\":[]}")]
    [InlineData("{\"type\":\"sync_push\",\"changes\":[]} // comment")]
    public void InvalidJsonIsRefusedAsBadRequest(string json)
    {
        var push = Read(json, out var error, out _);

        Assert.Null(push);
        Assert.Equal(ErrorCodes.BadRequest, error?.Code);
        Assert.StartsWith("frame is not valid JSON", error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestIdReadBeforeTruncationIsStillRecovered()
    {
        Read("{\"request_id\":\"r9\",\"type\":\"sync_push\",\"changes\":[{\"key\":", out var error, out var requestId);

        Assert.Equal(ErrorCodes.BadRequest, error?.Code);
        Assert.Equal("r9", requestId);
    }

    [Fact]
    public void InvalidUtf8IsRefusedAsBadRequest()
    {
        byte[] utf8 = [.. "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:"u8, 0xC3, 0x28, .. "\",\"value\":null,\"timestamp\":1}]}"u8];

        var push = SyncPushReader.Read(utf8, out var error, out _);

        Assert.Null(push);
        Assert.Equal(ProtocolError.BadRequest("changes[0].key must be valid Unicode text"), error);
    }

    [Fact]
    public void TooDeeplyNestedUnknownFieldIsRefused()
    {
        var json = "{" + Type + ",\"changes\":[],\"x\":" + new string('[', 40) + new string(']', 40) + "}";

        var push = Read(json, out var error, out _);

        Assert.Null(push);
        Assert.Equal(ErrorCodes.BadRequest, error?.Code);
    }

    [Fact]
    public void ValidPushParsesEveryField()
    {
        // Arrange
        const string Json = """
            {"type":"sync_push","request_id":"req-7","last_ack":123450,"changes":[
              {"key":"note:a","value":"content \u00e9\n","timestamp":123456,"device_id":"dev1"},
              {"key":"note:b/c","value":null,"timestamp":9007199254740991},
              {"key":"note:d","value":"","timestamp":1,"device_id":null}
            ]}
            """;

        // Act
        var push = Read(Json, out var error, out var requestId);

        // Assert
        Assert.Null(error);
        Assert.NotNull(push);
        Assert.Equal("sync_push", push.Type);
        Assert.Equal("req-7", push.RequestId);
        Assert.Equal("req-7", requestId);
        Assert.Equal(123450, push.LastAck);
        Assert.Collection(
            push.Changes,
            c => Assert.Equal(("note:a", "content \u00e9\n", 123456L, "dev1"), (c.Key, c.Value, c.Timestamp, c.DeviceId)),
            c => Assert.Equal(("note:b/c", (string?)null, 9007199254740991L, (string?)null), (c.Key, c.Value, c.Timestamp, c.DeviceId)),
            c => Assert.Equal(("note:d", "", 1L, (string?)null), (c.Key, c.Value, c.Timestamp, c.DeviceId)));
    }

    [Fact]
    public void UnknownFieldsAreIgnoredAtEveryLevel()
    {
        const string Json = """
            {"version":2,"type":"sync_push","extra":{"nested":[1,{"changes":5}]},"changes":[
              {"key":"note:a","color":"red","value":"v","meta":{"type":1,"timestamp":"x"},"timestamp":3,"tags":["a"]}
            ],"trailer":null}
            """;

        var push = Read(Json, out var error, out _);

        Assert.Null(error);
        var change = Assert.Single(push!.Changes);
        Assert.Equal(("note:a", "v", 3L), (change.Key, change.Value, change.Timestamp));
    }

    [Fact]
    public void PurePullHasNoChangesAndMayOmitLastAckAndRequestId()
    {
        var push = Read("{\"type\":\"sync_push\",\"changes\":[]}", out var error, out var requestId);

        Assert.Null(error);
        Assert.Empty(push!.Changes);
        Assert.Null(push.LastAck);
        Assert.Null(push.RequestId);
        Assert.Null(requestId);
    }

    [Fact]
    public void NullLastAckAndNullRequestIdAreTakenAsAbsent()
    {
        var push = Read("{\"type\":\"sync_push\",\"changes\":[],\"last_ack\":null,\"request_id\":null}", out var error, out _);

        Assert.Null(error);
        Assert.Null(push!.LastAck);
        Assert.Null(push.RequestId);
    }

    [Fact]
    public void FirstProblemIsTheOneReported()
    {
        var json = "{\"changes\":[{\"key\":1,\"value\":2,\"timestamp\":0}],\"type\":\"nope\"}";

        Read(json, out var error, out _);

        Assert.Equal(ProtocolError.BadRequest("changes[0].key must be a string"), error);
    }

    private static SyncPush? Read(string json, out ProtocolError? error, out string? requestId) =>
        SyncPushReader.Read(Encoding.UTF8.GetBytes(json), out error, out requestId);
}
