using System.Globalization;
using System.Buffers.Text;
using System.Text;
using NoteSync.Shared.Crdt;
using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

/// <summary>Reads what the scripts return, and the entry format that <see cref="RedisScripts.Apply"/> writes (documented on <see cref="RedisScripts"/>).</summary>
internal static class RedisEntryCodec
{
    /// <summary>The entry of <paramref name="key"/> from its stored bytes.</summary>
    public static StoredEntry Decode(string key, ReadOnlySpan<byte> stored)
    {
        var seq = ReadStored(key, stored, out var writes);

        // OfWrites orders W by the .NET comparison itself, so the state never depends on the script's order.
        return new StoredEntry(key, seq, writes.Count == 1 ? EntryState.Of(writes[0]) : EntryState.OfWrites(writes));
    }

    /// <summary>The seq and the writes of a stored entry, in the order they are stored (the script's best first).</summary>
    public static long ReadStored(string key, ReadOnlySpan<byte> stored, out List<Write> writes)
    {
        var version = ReadNumber(ref stored);
        if (version != 1)
        {
            throw new InvalidDataException($"the entry of '{key}' has format version {version}; this server reads version 1 only: upgrade it");
        }

        var seq = ReadNumber(ref stored);
        var timestamp = ReadNumber(ref stored);
        writes = new List<Write>(1);
        while (!stored.IsEmpty)
        {
            var deviceId = ReadToken(ref stored, key) ?? throw Corrupt(key);
            writes.Add(new Write(timestamp, deviceId, ReadToken(ref stored, key)));
        }

        if (writes.Count == 0)
        {
            throw Corrupt(key);
        }

        return seq;
    }

    private static long ReadNumber(ref ReadOnlySpan<byte> stored)
    {
        var comma = stored.IndexOf((byte)',');
        if (comma < 0 || !Utf8Parser.TryParse(stored[..comma], out long value, out var consumed) || consumed != comma)
        {
            throw new InvalidDataException("a stored entry has a malformed header");
        }

        stored = stored[(comma + 1)..];
        return value;
    }

    private static string? ReadToken(ref ReadOnlySpan<byte> stored, string key)
    {
        if (stored.IsEmpty)
        {
            throw Corrupt(key);
        }

        if (stored[0] == (byte)'~')
        {
            stored = stored[1..];
            return null;
        }

        var colon = stored.IndexOf((byte)':');
        if (colon < 0 || !Utf8Parser.TryParse(stored[..colon], out int length, out var consumed) || consumed != colon || length < 0 || colon + 1 + length > stored.Length)
        {
            throw Corrupt(key);
        }

        var text = Encoding.UTF8.GetString(stored.Slice(colon + 1, length));
        stored = stored[(colon + 1 + length)..];
        return text;
    }

    private static InvalidDataException Corrupt(string key) => new($"the stored entry of '{key}' is malformed");

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
