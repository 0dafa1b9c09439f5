using NoteSync.Shared.Crdt;
using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

/// <summary>Reads the records of a key's history (History format, on <see cref="RedisScripts.ReadHistory"/>).</summary>
internal static class RedisHistoryCodec
{
    /// <summary>One record: a version without its text, and its order (commit order within the space).</summary>
    /// <param name="Order">The version's order.</param>
    /// <param name="Version">The version; <see cref="NoteVersionRecord.IsHead"/> is false until set against the entry.</param>
    public readonly record struct Record(long Order, NoteVersionRecord Version);

    /// <summary>The records of <paramref name="key"/>, oldest first, marked as heads when <paramref name="heads"/> holds their id; empty for none.</summary>
    public static List<Record> Decode(string key, RedisResult stored, HashSet<VersionId> heads)
    {
        var records = new List<Record>();
        if (stored.IsNull)
        {
            return records;
        }

        ReadOnlySpan<byte> rest = (byte[])stored!;
        while (!rest.IsEmpty)
        {
            var order = RedisEntryCodec.ReadNumber(ref rest, key);
            var committedAt = RedisEntryCodec.ReadNumber(ref rest, key);
            var timestamp = RedisEntryCodec.ReadNumber(ref rest, key);
            var bytes = RedisEntryCodec.ReadNumber(ref rest, key);
            if (rest.IsEmpty || rest[0] is not ((byte)'t' or (byte)'d'))
            {
                throw RedisEntryCodec.Corrupt(key);
            }

            var isDelete = rest[0] == (byte)'d';
            rest = rest[1..];
            var deviceId = RedisEntryCodec.ReadToken(ref rest, key) ?? throw RedisEntryCodec.Corrupt(key);
            var baseBytes = RedisEntryCodec.ReadTokenBytes(ref rest, key, out var noBase);
            var @base = noBase ? null : ReadIds(baseBytes, key);
            var isHead = heads.Contains(new VersionId(timestamp, deviceId));
            records.Add(new Record(order, new NoteVersionRecord(timestamp, deviceId, committedAt, bytes, @base, isDelete, isHead)));
        }

        return records;
    }

    /// <summary>The ids of an entry's heads (none for no entry), and the entry's state (null for none).</summary>
    public static HashSet<VersionId> HeadsOf(string key, RedisResult entry, out EntryState? state)
    {
        state = entry.IsNull ? null : RedisEntryCodec.Decode(key, ((byte[])entry!).AsSpan()).State;
        var heads = new HashSet<VersionId>();
        if (state is not null)
        {
            foreach (var head in state.Writes)
            {
                heads.Add(VersionId.Of(head));
            }
        }

        return heads;
    }

    private static VersionId[] ReadIds(ReadOnlySpan<byte> section, string key)
    {
        var ids = new List<VersionId>();
        while (!section.IsEmpty)
        {
            var timestamp = RedisEntryCodec.ReadNumber(ref section, key);
            ids.Add(new VersionId(timestamp, RedisEntryCodec.ReadToken(ref section, key) ?? throw RedisEntryCodec.Corrupt(key)));
        }

        return [.. ids];
    }
}
