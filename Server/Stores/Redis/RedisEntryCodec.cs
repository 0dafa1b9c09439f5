using System.Buffers.Text;
using System.Text;
using NoteSync.Shared.Crdt;

namespace NoteSync.Server.Stores.Redis;

/// <summary>Reads the entry format that <see cref="RedisScripts.Apply"/> writes (documented on <see cref="RedisScripts"/>).</summary>
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
}
