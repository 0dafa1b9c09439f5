using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Fanout;

/// <summary>
/// What a node publishes on a space's doorbell channel: <c>"&lt;cursor&gt; &lt;node id&gt;"</c>, and for a
/// small commit <c>"&lt;cursor&gt; &lt;node id&gt; &lt;json&gt;"</c>, the commit itself: the cursor before it,
/// the space's history, and each changed key's seq and state as a <c>sync_ack</c> change carries it
/// (docs/protocol.md §3). A node that reads only the first form takes the second for a ring from
/// another node, so nodes of both kinds can share one Redis during an upgrade.
/// </summary>
internal static class RingMessage
{
    /// <summary>The message for <paramref name="cursor"/>, with <paramref name="commit"/> when one is given.</summary>
    public static string Of(long cursor, string nodeId, ApplyResult? commit)
    {
        var head = string.Create(CultureInfo.InvariantCulture, $"{cursor} {nodeId}");
        if (commit is null)
        {
            return head;
        }

        return $"{head} {JsonSerializer.Serialize(Body.Of(commit), RingJsonContext.Relaxed.Body)}";
    }

    /// <summary>
    /// Reads a message: false when it is malformed. <paramref name="commit"/> is the commit it carries,
    /// or null for a cursor alone (or a commit this node cannot read, which is then rung as a cursor).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<char> text, out long cursor, out ReadOnlySpan<char> nodeId, out ApplyResult? commit)
    {
        commit = null;
        nodeId = default;
        var blank = text.IndexOf(' ');
        if (blank <= 0 || !long.TryParse(text[..blank], NumberStyles.None, CultureInfo.InvariantCulture, out cursor))
        {
            cursor = 0;
            return false;
        }

        var rest = text[(blank + 1)..];
        var second = rest.IndexOf(' ');
        nodeId = second < 0 ? rest : rest[..second];
        if (second >= 0)
        {
            commit = ReadCommit(rest[(second + 1)..], cursor);
        }

        return true;
    }

    private static ApplyResult? ReadCommit(ReadOnlySpan<char> json, long cursor)
    {
        Body? body;
        try
        {
            body = JsonSerializer.Deserialize(json, RingJsonContext.Relaxed.Body);
        }
        catch (JsonException)
        {
            return null;
        }

        if (body is not { Seqs: { } seqs, Changes: { } changes } || seqs.Length != changes.Count || seqs.Length == 0 || body.After >= cursor)
        {
            return null;
        }

        var entries = new StoredEntry[seqs.Length];
        var previous = body.After;
        for (var i = 0; i < entries.Length; i++)
        {
            // Seqs rise through the commit and end at its cursor; anything else is not a commit of this protocol.
            if (seqs[i] <= previous || seqs[i] > cursor || changes[i] is not { Key: { } key } change)
            {
                return null;
            }

            try
            {
                entries[i] = new StoredEntry(key, seqs[i], EntryState.FromChange(change));
            }
            catch (ArgumentException)
            {
                return null;
            }

            previous = seqs[i];
        }

        return previous == cursor ? new ApplyResult(body.After, cursor, entries, []) { Epoch = body.Epoch } : null;
    }

    internal sealed class Body
    {
        public long After { get; set; }

        public string? Epoch { get; set; }

        public long[]? Seqs { get; set; }

        public List<Change>? Changes { get; set; }

        public static Body Of(ApplyResult commit)
        {
            var seqs = new long[commit.Changed.Count];
            var changes = new List<Change>(seqs.Length);
            for (var i = 0; i < seqs.Length; i++)
            {
                var e = commit.Changed[i];
                seqs[i] = e.Seq;
                changes.Add(e.State.ToChange(e.Key));
            }

            return new Body { After = commit.PreviousCursor, Epoch = commit.Epoch, Seqs = seqs, Changes = changes };
        }
    }
}

/// <summary>The doorbell's commit messages, in the wire's snake_case and UTF-8 as frames are written.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(RingMessage.Body))]
internal sealed partial class RingJsonContext : JsonSerializerContext
{
    // Notes in any script stay one UTF-8 byte sequence each, as in frames, not \uXXXX escapes.
    public static RingJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
