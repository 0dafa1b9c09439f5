using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

/// <summary>The raw WebSocket's history requests (docs/protocol.md §4.13) told apart from pushes and read strictly.</summary>
public sealed class HistoryRequestReaderTests
{
    [Theory]
    [InlineData("""{"type":"history","key":"note:a","request_id":"h1"}""", "history", "note:a", 0L, null, "h1")]
    [InlineData("""{"request_id":null,"key":"note:a","extra":[1,{"x":2}],"type":"history"}""", "history", "note:a", 0L, null, null)]
    [InlineData("""{"type":"version","key":"note:a","timestamp":21,"device_id":"laptop"}""", "version", "note:a", 21L, "laptop", null)]
    [InlineData("""{"type":"trash","request_id":"t"}""", "trash", null, 0L, null, "t")]
    public void ARequestIsReadWithItsFields(string json, string type, string? key, long timestamp, string? deviceId, string? requestId)
    {
        Assert.True(HistoryRequestReader.TryRead(Encoding.UTF8.GetBytes(json), out var request, out var error));

        Assert.Null(error);
        Assert.Equal(new HistoryRequest(type, key, timestamp, deviceId, requestId), request);
    }

    [Theory]
    [InlineData("""{"type":"history","request_id":"h"}""", "key is required")]
    [InlineData("""{"type":"version","key":"note:a","device_id":"d","request_id":"h"}""", "timestamp is required")]
    [InlineData("""{"type":"version","key":"note:a","timestamp":3,"request_id":"h"}""", "device_id is required")]
    [InlineData("""{"type":"version","key":"note:a","timestamp":0,"device_id":"d","request_id":"h"}""", "timestamp must be an integer in 1..2^53-1")]
    [InlineData("""{"type":"version","key":"note:a","timestamp":"3","device_id":"d","request_id":"h"}""", "timestamp must be an integer in 1..2^53-1")]
    [InlineData("""{"type":"history","key":5,"request_id":"h"}""", "key must be a string")]
    [InlineData("""{"type":"history","key":"note:a","key":"note:b","request_id":"h"}""", "duplicate field 'key'")]
    [InlineData("""{"type":"history","key":"note:a","\u006bey":"note:b","request_id":"h"}""", "duplicate field 'key'")]
    [InlineData("""{"type":"history","type":"trash","key":"note:a","request_id":"h"}""", "duplicate field 'type'")]
    [InlineData("""{"type":"version","key":"note:a","timestamp":3,"timestamp":4,"device_id":"d","request_id":"h"}""", "duplicate field 'timestamp'")]
    [InlineData("""{"type":"version","key":"note:a","timestamp":3,"device_id":"d","device_id":"e","request_id":"h"}""", "duplicate field 'device_id'")]
    [InlineData("""{"type":"history","key":"note:a","request_id":"h","request_id":"x"}""", "duplicate field 'request_id'")]
    public void AMalformedRequestIsRefusedByNameAndKeepsItsRequestId(string json, string message)
    {
        Assert.True(HistoryRequestReader.TryRead(Encoding.UTF8.GetBytes(json), out var request, out var error));

        Assert.Equal(ProtocolError.BadRequest(message), error);
        Assert.Equal("h", request!.RequestId);
    }

    [Theory]
    [InlineData("""{"type":"sync_push","changes":[]}""")]
    [InlineData("""{"changes":[],"type":"sync_push"}""")]
    [InlineData("""{"type":"sync_ack","changes":[]}""")]
    [InlineData("""{"type":5}""")]
    [InlineData("""{"changes":[]}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"type":"history",""")]
    public void EverythingElseIsLeftToThePushReader(string json)
    {
        Assert.False(HistoryRequestReader.TryRead(Encoding.UTF8.GetBytes(json), out _, out _));
    }
}
