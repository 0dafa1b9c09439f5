using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text;

namespace NoteSync.Server.Stores;

/// <summary>
/// An upper bound of a string's size inside a JSON frame written with <c>NoteSyncJsonContext.Wire</c>:
/// its UTF-8 bytes, plus 6 for every character that may be escaped (an escape is at most
/// <c>\uXXXX</c>). Printable ASCII is found by one vectorized scan; every other character is
/// counted as escaped when it is ASCII or a surrogate half, and otherwise asked of the frame's
/// encoder, so the bound holds for whatever it escapes (non-ASCII spaces, U+2028, ...).
/// </summary>
internal static class WireSize
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    // Printable ASCII that JSON writes as it is: everything from ' ' to '~' but the quote and backslash.
    private static readonly SearchValues<char> Verbatim = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Of(string? s)
    {
        if (s is null)
        {
            return 4;
        }

        long escaped = 0;
        var rest = s.AsSpan();
        int at;
        while ((at = rest.IndexOfAnyExcept(Verbatim)) >= 0)
        {
            var c = rest[at];
            if (c < 0x80 || char.IsSurrogate(c) || Encoder.WillEncode(c))
            {
                escaped++;
            }

            rest = rest[(at + 1)..];
        }

        return 2 + Encoding.UTF8.GetByteCount(s) + (6 * escaped);
    }
}
