using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using NoteSync.Shared.Crdt;
using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

/// <summary>Reads what the scripts return and the entry format that <see cref="RedisScripts.Apply"/> writes, and encodes the bases it takes (both documented on <see cref="RedisScripts"/>).</summary>
internal static class RedisEntryCodec
{
    /// <summary>The entry of <paramref name="key"/> from its stored bytes (either version).</summary>
    public static StoredEntry Decode(string key, ReadOnlySpan<byte> stored)
    {
        var seq = ReadStored(key, stored, out var writes, out var replaced);
        if (replaced is null)
        {
            // Version 1: OfWrites orders the heads by the .NET comparison itself, so the state never
            // depends on the script's order.
            return new StoredEntry(key, seq, writes.Count == 1 ? EntryState.Of(writes[0]) : EntryState.OfWrites(writes));
        }

        return new StoredEntry(key, seq, EntryState.OfHeads(writes, replaced));
    }

    /// <summary>The seq and the heads of a stored entry, in the order they are stored (the script's best first).</summary>
    public static long ReadStored(string key, ReadOnlySpan<byte> stored, out List<Write> writes) =>
        ReadStored(key, stored, out writes, out _);

    /// <summary>
    /// The seq, the heads (in the order they are stored) and the replaced versions of a stored entry;
    /// <paramref name="replaced"/> is null for version 1, whose replaced versions are everything below its one timestamp.
    /// </summary>
    public static long ReadStored(string key, ReadOnlySpan<byte> stored, out List<Write> writes, out ReplacedVersions? replaced)
    {
        var version = ReadNumber(ref stored, key);
        if (version is not (1 or 2))
        {
            throw new InvalidDataException($"the entry of '{key}' has format version {version}; this server reads versions 1 and 2 only: upgrade it");
        }

        var seq = ReadNumber(ref stored, key);
        writes = new List<Write>(1);
        if (version == 1)
        {
            replaced = null;
            var timestamp = ReadNumber(ref stored, key);
            while (!stored.IsEmpty)
            {
                var deviceId = ReadToken(ref stored, key) ?? throw Corrupt(key);
                writes.Add(new Write(timestamp, deviceId, ReadToken(ref stored, key)));
            }
        }
        else
        {
            var floor = ReadNumber(ref stored, key);
            var namedBytes = ReadNumber(ref stored, key);
            if (namedBytes < 0 || namedBytes > stored.Length)
            {
                throw Corrupt(key);
            }

            var section = stored[..(int)namedBytes];
            stored = stored[(int)namedBytes..];
            var named = new List<VersionId>();
            while (!section.IsEmpty)
            {
                var timestamp = ReadNumber(ref section, key);
                named.Add(new VersionId(timestamp, ReadToken(ref section, key) ?? throw Corrupt(key)));
            }

            replaced = ReplacedVersions.Of(floor, named);
            while (!stored.IsEmpty)
            {
                var timestamp = ReadNumber(ref stored, key);
                var deviceId = ReadToken(ref stored, key) ?? throw Corrupt(key);
                var head = new Write(timestamp, deviceId, ReadToken(ref stored, key));

                // The script never stores a replaced head; one that is means the bytes are not the script's.
                if (replaced.Covers(head))
                {
                    throw Corrupt(key);
                }

                writes.Add(head);
            }
        }

        if (writes.Count == 0)
        {
            throw Corrupt(key);
        }

        return seq;
    }

    /// <summary>
    /// A write's base as the apply script takes it: <c>~</c> for none, else one <c>&lt;timestamp&gt;,&lt;device_id&gt;</c>
    /// per named version, in the tokens of the entry format (so the empty base is the empty string).
    /// </summary>
    public static RedisValue EncodeBase(VersionId[]? @base)
    {
        if (@base is null)
        {
            return "~";
        }

        if (@base.Length == 0)
        {
            return RedisValue.EmptyString;
        }

        // The device ids are encoded here rather than by the client library so that each length
        // prefix counts exactly the bytes that follow it.
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var id in @base)
        {
            var deviceBytes = Encoding.UTF8.GetBytes(id.DeviceId);
            WriteNumber(buffer, id.Timestamp);
            buffer.Write(","u8);
            WriteNumber(buffer, deviceBytes.Length);
            buffer.Write(":"u8);
            buffer.Write(deviceBytes);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteNumber(ArrayBufferWriter<byte> buffer, long value)
    {
        var span = buffer.GetSpan(20);
        if (!Utf8Formatter.TryFormat(value, span, out var written))
        {
            throw new InvalidOperationException("a number did not fit 20 bytes");
        }

        buffer.Advance(written);
    }

    /// <summary>Reads a decimal number ended by a comma from the front of <paramref name="stored"/>; malformed bytes name <paramref name="key"/>.</summary>
    internal static long ReadNumber(ref ReadOnlySpan<byte> stored, string key)
    {
        var comma = stored.IndexOf((byte)',');
        if (comma < 0 || !Utf8Parser.TryParse(stored[..comma], out long value, out var consumed) || consumed != comma)
        {
            throw Corrupt(key);
        }

        stored = stored[(comma + 1)..];
        return value;
    }

    /// <summary>Reads a token (<c>&lt;length&gt;:&lt;bytes&gt;</c>, or <c>~</c> for null) from the front of <paramref name="stored"/>.</summary>
    internal static string? ReadToken(ref ReadOnlySpan<byte> stored, string key)
    {
        var bytes = ReadTokenBytes(ref stored, key, out var isNull);
        return isNull ? null : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>As <see cref="ReadToken"/>, the token's bytes undecoded; null for <c>~</c>.</summary>
    internal static ReadOnlySpan<byte> ReadTokenBytes(ref ReadOnlySpan<byte> stored, string key, out bool isNull)
    {
        if (stored.IsEmpty)
        {
            throw Corrupt(key);
        }

        isNull = stored[0] == (byte)'~';
        if (isNull)
        {
            stored = stored[1..];
            return [];
        }

        var colon = stored.IndexOf((byte)':');
        if (colon < 0 || !Utf8Parser.TryParse(stored[..colon], out int length, out var consumed) || consumed != colon || length < 0 || colon + 1 + length > stored.Length)
        {
            throw Corrupt(key);
        }

        var bytes = stored.Slice(colon + 1, length);
        stored = stored[(colon + 1 + length)..];
        return bytes;
    }

    /// <summary>The error for stored bytes that are not what the scripts write.</summary>
    internal static InvalidDataException Corrupt(string key) => new($"the stored entry of '{key}' is malformed");

    /// <summary>The result of <see cref="RedisScripts.Apply"/>: the cursors, the epoch, the changed entries, then the superseded ones.</summary>
    public static ApplyResult ApplyResultOf(RedisResult[] items)
    {
        var previous = ParseInt64(items[0]);
        var cursor = ParseInt64(items[1]);
        var epoch = EpochOf(items[2]);
        var changedCount = (int)ParseInt64(items[3]);
        var changed = new StoredEntry[changedCount];
        var at = 4;
        for (var i = 0; i < changedCount; i++, at += 2)
        {
            changed[i] = Decode(items[at], items[at + 1]);
        }

        var superseded = new KeyState[(items.Length - at) / 2];
        for (var i = 0; i < superseded.Length; i++, at += 2)
        {
            var entry = Decode(items[at], items[at + 1]);
            superseded[i] = new KeyState(entry.Key, entry.State);
        }

        return new ApplyResult(previous, cursor, changed, superseded) { Epoch = epoch };
    }

    /// <summary>A script's epoch field; empty means none yet.</summary>
    public static string? EpochOf(RedisResult value) => (string?)value is { Length: > 0 } epoch ? epoch : null;

    /// <summary>An entry as a script returns it: its key, then its stored bytes.</summary>
    public static StoredEntry Decode(RedisResult key, RedisResult stored) =>
        Decode((string)key!, ((byte[])stored!).AsSpan());

    /// <summary>An integer a script returns as a string.</summary>
    public static long ParseInt64(RedisResult value) => long.Parse((string)value!, NumberStyles.None, CultureInfo.InvariantCulture);
}
