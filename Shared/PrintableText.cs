using System.Globalization;
using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Shared;

/// <summary>
/// Text from elsewhere (note names, file names, a server's messages) made safe to print on a
/// terminal or write into a log line: every character a key must not hold (<see cref="KeyCharacters"/>)
/// and every other control, format, unassigned or unpaired surrogate code unit is written as
/// <c>&lt;U+XXXX&gt;</c>, the way the server's messages name characters. Nothing else changes.
/// </summary>
public static class PrintableText
{
    /// <summary><paramref name="text"/> with each unprintable character as <c>&lt;U+XXXX&gt;</c>; the same string when there is none.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = FirstUnprintable(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var (codePoint, units) = CodePointAt(text, i);
            if (IsUnprintable(codePoint))
            {
                builder.Append('<').Append(KeyCharacters.Name(codePoint)).Append('>');
            }
            else
            {
                builder.Append(text, i, units);
            }

            i += units - 1;
        }

        return builder.ToString();
    }

    private static int FirstUnprintable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is >= ' ' and < '\x7f')
            {
                continue;
            }

            var (codePoint, units) = CodePointAt(text, i);
            if (IsUnprintable(codePoint))
            {
                return i;
            }

            i += units - 1;
        }

        return -1;
    }

    // An unpaired surrogate comes back as itself, so it is named rather than passed on.
    private static (int CodePoint, int Units) CodePointAt(string text, int i) =>
        i + 1 < text.Length && char.IsSurrogatePair(text[i], text[i + 1])
            ? (char.ConvertToUtf32(text[i], text[i + 1]), 2)
            : (text[i], 1);

    private static bool IsUnprintable(int codePoint) =>
        KeyCharacters.Refused(codePoint) is not null
        || CharUnicodeInfo.GetUnicodeCategory(codePoint) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
