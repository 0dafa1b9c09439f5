using System.Text;
using System.Text.Encodings.Web;

namespace NoteSync.Server.Stores;

/// <summary>
/// An upper bound of a string's size inside a JSON frame written with <c>NoteSyncJsonContext.Wire</c>:
/// its UTF-8 bytes, plus 6 for every character the frame's encoder escapes (an escape is at most
/// <c>\uXXXX</c>). Which characters those are is asked of the encoder itself, so the bound holds for
/// whatever it escapes (control characters, quotes, surrogate halves, non-ASCII spaces, ...).
/// </summary>
internal static class WireSize
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static long Of(string? s)
    {
        if (s is null)
        {
            return 4;
        }

        return 2 + Encoding.UTF8.GetByteCount(s) + (6L * EscapedCount(s));
    }

    private static unsafe int EscapedCount(string s)
    {
        var count = 0;
        fixed (char* start = s)
        {
            var at = 0;
            while (at < s.Length)
            {
                var next = Encoder.FindFirstCharacterToEncode(start + at, s.Length - at);
                if (next < 0)
                {
                    break;
                }

                count++;
                at += next + 1;
            }
        }

        return count;
    }
}
