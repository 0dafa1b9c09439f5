using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// What the index knows of one file: content hash (hex SHA-256), size in bytes, last write time (UTC ticks),
/// and <paramref name="Base"/>, the versions of the note that held the file's text when file and replica were
/// last in step: what an edit of the file was made from, named by its push even when the replica has moved on
/// (docs/protocol.md §2.2). Null where not recorded (an index written before bases were, a push still batched).
/// </summary>
internal sealed record IndexEntry(string Hash, long Size, long MtimeTicks, IReadOnlyList<NoteVersionId>? Base = null)
{
    /// <summary>
    /// The heads of <paramref name="heads"/> holding <paramref name="text"/>: the base of a file holding it. Null for
    /// none, or for more than a base may name (the edit then goes as before bases).
    /// </summary>
    public static IReadOnlyList<NoteVersionId>? BaseOf(IReadOnlyList<NoteVersion> heads, string text)
    {
        var holding = heads.Where(h => h.Value == text).Select(h => h.Id).ToList();
        return holding.Count is > 0 and <= NoteSync.Shared.Protocol.ProtocolLimits.MaxBaseVersions ? holding : null;
    }

    /// <summary>The base as the index stores it: <c>timestamp@device</c> lines (a device id holds no control character).</summary>
    public static string? Encode(IReadOnlyList<NoteVersionId>? @base) => @base is null ? null : string.Join('\n', @base);

    /// <summary>The stored base; null when none was stored, or when a line does not read (the edit then goes as before bases).</summary>
    public static IReadOnlyList<NoteVersionId>? Decode(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return null;
        }

        var versions = new List<NoteVersionId>();
        foreach (var line in stored.Split('\n'))
        {
            if (!NoteVersionId.TryParse(line, out var id))
            {
                return null;
            }

            versions.Add(id);
        }

        return versions;
    }
}
