using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NoteSync.Bench.Devices;

/// <summary>
/// Writes <c>sync_push</c> frames (docs/protocol.md §4) straight to UTF-8 with <see cref="Utf8JsonWriter"/>:
/// no DTOs and no per-write strings, so the bench's own cost per frame stays small next to the server's.
/// One instance per device send loop (not thread-safe).
/// </summary>
internal sealed class PushFrameWriter : IDisposable
{
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText SyncPush = JsonEncodedText.Encode("sync_push");
    private static readonly JsonEncodedText Changes = JsonEncodedText.Encode("changes");
    private static readonly JsonEncodedText Key = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText DeviceId = JsonEncodedText.Encode("device_id");
    private static readonly JsonEncodedText LastAck = JsonEncodedText.Encode("last_ack");
    private static readonly JsonEncodedText RequestId = JsonEncodedText.Encode("request_id");
    private static readonly JsonEncodedText Base = JsonEncodedText.Encode("base");

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;
    private readonly JsonEncodedText _deviceId;
    private readonly byte[] _keyPrefix;
    private readonly byte[] _keyScratch;
    private readonly byte[] _valueScratch = new byte[ValuePayload.MaxSize + 64];

    public PushFrameWriter(string deviceId, string writeKeyPrefix)
    {
        _deviceId = JsonEncodedText.Encode(deviceId);
        _keyPrefix = Encoding.UTF8.GetBytes(writeKeyPrefix);
        _keyScratch = new byte[_keyPrefix.Length + 24];
        _keyPrefix.CopyTo(_keyScratch, 0);
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>Writes one frame; writes get timestamps <paramref name="firstTimestamp"/>, +1, ... The result is valid until the next call.</summary>
    public ReadOnlyMemory<byte> Write(PushRequest request, long firstTimestamp, long lastAck, long requestId)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString(Type, SyncPush);
        _writer.WriteStartArray(Changes);
        var timestamp = firstTimestamp;
        foreach (var write in request.Writes)
        {
            _writer.WriteStartObject();
            _writer.WriteString(Key, KeyBytes(write.KeyNumber));
            var length = ValuePayload.Write(_valueScratch, write.WriteIndex, write.Size, write.PadOffset);
            _writer.WriteString(Value, _valueScratch.AsSpan(0, length));
            _writer.WriteNumber(Timestamp, timestamp++);
            _writer.WriteString(DeviceId, _deviceId);
            _writer.WriteEndObject();
        }

        foreach (var text in request.Texts)
        {
            _writer.WriteStartObject();
            _writer.WriteString(Key, text.Key);
            _writer.WriteString(Value, text.Value);
            _writer.WriteNumber(Timestamp, timestamp++);
            _writer.WriteString(DeviceId, _deviceId);
            _writer.WriteStartArray(Base);
            foreach (var version in text.Base)
            {
                _writer.WriteStartObject();
                _writer.WriteNumber(Timestamp, version.Timestamp);
                _writer.WriteString(DeviceId, version.DeviceId);
                _writer.WriteEndObject();
            }

            _writer.WriteEndArray();
            _writer.WriteEndObject();
        }

        _writer.WriteEndArray();
        _writer.WriteNumber(LastAck, lastAck);
        Span<byte> rid = stackalloc byte[24];
        rid[0] = (byte)'r';
        requestId.TryFormat(rid[1..], out var digits, provider: CultureInfo.InvariantCulture);
        _writer.WriteString(RequestId, rid[..(1 + digits)]);
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenMemory;
    }

    public void Dispose() => _writer.Dispose();

    private ReadOnlySpan<byte> KeyBytes(long keyNumber)
    {
        keyNumber.TryFormat(_keyScratch.AsSpan(_keyPrefix.Length), out var digits, provider: CultureInfo.InvariantCulture);
        return _keyScratch.AsSpan(0, _keyPrefix.Length + digits);
    }
}
