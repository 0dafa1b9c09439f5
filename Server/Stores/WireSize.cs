using System.Buffers;
using System.Text;

namespace NoteSync.Server.Stores;

/// <summary>
/// The size of a string inside a JSON frame written with <c>NoteSyncJsonContext.Wire</c>: its UTF-8
/// bytes, plus at most 5 more for each character that may be escaped (a control character becomes
/// <c>\u00XX</c>, a quote or backslash takes one more byte, and the relaxed encoder still writes each
/// half of a surrogate pair, such as an emoji, as <c>\uXXXX</c>: 6 bytes where UTF-8 counted 2).
/// An upper bound, exact for plain text.
/// </summary>
internal static class WireSize
{
    private static readonly SearchValues<char> Escaped = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\"\\" + Surrogates());

    private static string Surrogates() => string.Create(0xE000 - 0xD800, 0, static (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (char)(0xD800 + i);
        }
    });

    public static long Of(string? s)
    {
        if (s is null)
        {
            return 4;
        }

        long escapes = 0;
        var rest = s.AsSpan();
        int at;
        while ((at = rest.IndexOfAny(Escaped)) >= 0)
        {
            escapes++;
            rest = rest[(at + 1)..];
        }

        return 2 + Encoding.UTF8.GetByteCount(s) + (5 * escapes);
    }
}
