using System.Text;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// The characters a key must not hold and the normalization it must be in (docs/protocol.md §1,
/// "Keys"), with the texts that name them. A key is a note's name on every device: these are the
/// characters that would let a name drive a terminal, reorder or hide its own text, or make two keys
/// that look the same. The rule is a fixed list of code points rather than Unicode categories, so
/// that every client (the page's protocol.js holds the same list) draws the same line whatever
/// Unicode version it runs on.
/// </summary>
public static class KeyCharacters
{
    /// <summary>The rest of the sentence for a key not in NFC.</summary>
    public const string NotNormalized = "must be in Unicode normalization form C";

    /// <summary>The rest of the sentence for a key this process cannot check for NFC (see <see cref="CanCheckNormalization"/>).</summary>
    public const string CannotCheckNormalization =
        "cannot be checked for Unicode normalization form C: this process runs in globalization-invariant mode, without ICU";

    private const string Control = "a control character";
    private const string Bidi = "a bidirectional control";
    private const string Invisible = "an invisible character";
    private const string Separator = "a line or paragraph separator";
    private const string Noncharacter = "a noncharacter";

    // Sorted, not overlapping. "Invisible" is Unicode's Default_Ignorable_Code_Point set (whose
    // reserved ranges are assigned in advance, so the list holds for later Unicode versions) less the
    // bidi controls, listed apart, and less the variation selectors (U+180B-U+180D, U+180F,
    // U+FE00-U+FE0F, U+E0100-U+E01EF), which emoji and some scripts need.
    private static readonly (int First, int Last, string What)[] Ranges =
    [
        (0x0000, 0x001F, Control),
        (0x007F, 0x009F, Control),
        (0x00AD, 0x00AD, Invisible),
        (0x034F, 0x034F, Invisible),
        (0x061C, 0x061C, Bidi),
        (0x115F, 0x1160, Invisible),
        (0x17B4, 0x17B5, Invisible),
        (0x180E, 0x180E, Invisible),
        (0x200B, 0x200D, Invisible),
        (0x200E, 0x200F, Bidi),
        (0x2028, 0x2029, Separator),
        (0x202A, 0x202E, Bidi),
        (0x2060, 0x2065, Invisible),
        (0x2066, 0x2069, Bidi),
        (0x206A, 0x206F, Invisible),
        (0x3164, 0x3164, Invisible),
        (0xFDD0, 0xFDEF, Noncharacter),
        (0xFEFF, 0xFEFF, Invisible),
        (0xFFA0, 0xFFA0, Invisible),
        (0xFFF0, 0xFFF8, Invisible),
        (0x1BCA0, 0x1BCA3, Invisible),
        (0x1D173, 0x1D17A, Invisible),
        (0xE0000, 0xE00FF, Invisible),
        (0xE01F0, 0xE0FFF, Invisible),
    ];

    /// <summary>
    /// False in a process without ICU (globalization-invariant mode), where .NET takes every string
    /// for normalized: such a process cannot tell an NFC key from another. The server refuses to start
    /// that way; a client then refuses the keys whose normalization it cannot know.
    /// </summary>
    public static bool CanCheckNormalization { get; } = !"e\u0301".IsNormalized(NormalizationForm.FormC);

    /// <summary>
    /// Null when the well-formed <paramref name="key"/> holds no refused character and is in NFC; else
    /// the rest of a sentence saying why not, naming the first refused character,
    /// e.g. <c>must not contain U+001B (a control character)</c>.
    /// </summary>
    public static string? Problem(string key)
    {
        var composable = false;
        var previous = 0;
        for (var i = 0; i < key.Length; i++)
        {
            int codePoint = key[i];
            if (codePoint is >= 0x20 and < 0x7F)
            {
                previous = codePoint;
                continue;
            }

            if (i + 1 < key.Length && char.IsSurrogatePair(key[i], key[i + 1]))
            {
                codePoint = char.ConvertToUtf32(key[i], key[i + 1]);
                i++;
            }

            if (Refused(codePoint) is { } what && !IsJoinerBetweenLetters(codePoint, previous, CodePointAt(key, i + 1)))
            {
                return $"must not contain {Name(codePoint)} ({what})";
            }

            previous = codePoint;

            // Below U+0300 (the first combining mark) every string is NFC.
            composable |= codePoint >= 0x300;
        }

        if (!composable)
        {
            return null;
        }

        if (!CanCheckNormalization)
        {
            return CannotCheckNormalization;
        }

        return key.IsNormalized(NormalizationForm.FormC) ? null : NotNormalized;
    }

    /// <summary>
    /// True for a zero-width joiner or non-joiner between two characters outside ASCII, neither of them
    /// a joiner: there it shapes what it joins (an emoji sequence such as woman, U+200D, laptop; a
    /// Persian or Indic spelling), so two keys that differ by it look different. Anywhere else it
    /// would only hide itself.
    /// </summary>
    public static bool IsJoinerBetweenLetters(int codePoint, int previous, int next) =>
        codePoint is 0x200C or 0x200D
        && previous >= 0x80 && previous is not (0x200C or 0x200D)
        && next >= 0x80 && next is not (0x200C or 0x200D);

    /// <summary>The code point at index <paramref name="i"/> of <paramref name="s"/> (a lone surrogate as itself), 0 past its end.</summary>
    public static int CodePointAt(string s, int i) =>
        i >= s.Length ? 0 : i + 1 < s.Length && char.IsSurrogatePair(s[i], s[i + 1]) ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];

    /// <summary>What <paramref name="codePoint"/> is when a key must not hold it (<c>a control character</c>, ...), else null.</summary>
    public static string? Refused(int codePoint)
    {
        if ((codePoint & 0xFFFE) == 0xFFFE)
        {
            // U+FFFE and U+FFFF of every plane.
            return Noncharacter;
        }

        foreach (var (first, last, what) in Ranges)
        {
            if (codePoint < first)
            {
                return null;
            }

            if (codePoint <= last)
            {
                return what;
            }
        }

        return null;
    }

    /// <summary>A code point as Unicode writes it: <c>U+001B</c>, <c>U+E0041</c>.</summary>
    public static string Name(int codePoint) => $"U+{codePoint:X4}";
}
