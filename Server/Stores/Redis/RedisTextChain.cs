using System.Text;
using NoteSync.Shared.Crdt;
using StackExchange.Redis;

namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// A history version's text from the chain <c>read-history.lua</c> returns: a text kept whole, or a head's
/// (its entry's), then the splices that lead back to the version (<c>history.lua</c>, spliceOf), each
/// the bytes it shares with the next newer text at its start and end and its own bytes between.
/// Applied to UTF-8 bytes, as the script cut them.
/// </summary>
internal static class RedisTextChain
{
    /// <summary>The text, or null when history holds none (or the head the chain ends at is one no longer).</summary>
    public static string? Resolve(RedisResult chain, EntryState? state)
    {
        if (chain.IsNull)
        {
            return null;
        }

        var items = (RedisResult[])chain!;
        byte[]? text = (byte[]?)items[0];
        if (text is null)
        {
            if (state is null || state.HeadOf(new VersionId((long)items[1], (string)items[2]!))?.Value is not { } head)
            {
                return null;
            }

            text = Encoding.UTF8.GetBytes(head);
        }

        for (var i = 3; i < items.Length; i++)
        {
            text = Apply(text, (byte[])items[i]!);
        }

        return Encoding.UTF8.GetString(text);
    }

    // "<newer order>,<prefix>,<suffix>," then the older text's own bytes.
    private static byte[] Apply(byte[] newer, byte[] splice)
    {
        var at = Array.IndexOf(splice, (byte)',') + 1;
        var prefix = ReadNumber(splice, ref at);
        var suffix = ReadNumber(splice, ref at);
        var middle = splice.AsSpan(at);
        var older = new byte[prefix + middle.Length + suffix];
        newer.AsSpan(0, prefix).CopyTo(older);
        middle.CopyTo(older.AsSpan(prefix));
        newer.AsSpan(newer.Length - suffix).CopyTo(older.AsSpan(prefix + middle.Length));
        return older;
    }

    private static int ReadNumber(byte[] splice, ref int at)
    {
        var comma = Array.IndexOf(splice, (byte)',', at);
        var number = int.Parse(splice.AsSpan(at, comma - at), provider: System.Globalization.CultureInfo.InvariantCulture);
        at = comma + 1;
        return number;
    }
}
