using System.Globalization;
using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Stores;

/// <summary>
/// The key a note stored under a key the key rule refuses (docs/protocol.md §1.3) moves to: every
/// refused character written out as <c>(U+XXXX)</c>, so the name still says what it held, then the
/// whole put in NFC. Parentheses, letters and digits are portable in file names, so the CLI can make a
/// file of the result.
/// </summary>
internal static class KeyRepair
{
    /// <summary>
    /// <paramref name="key"/> with its refused characters written out, in NFC; null when even that key
    /// is refused (longer than <paramref name="maxKeyBytes"/> in UTF-8).
    /// </summary>
    public static string? Repaired(string key, int maxKeyBytes)
    {
        ArgumentNullException.ThrowIfNull(key);
        var builder = new StringBuilder(key.Length + 16);
        var previous = 0;
        for (var i = 0; i < key.Length; i++)
        {
            var codePoint = CodePointAt(key, i);
            var units = codePoint > 0xFFFF ? 2 : 1;
            var next = CodePointAt(key, i + units);
            if (char.IsSurrogate(key[i]) && units == 1)
            {
                // A lone surrogate cannot be normalized or sent as UTF-8: written out like the rest.
                builder.Append(CultureInfo.InvariantCulture, $"({KeyCharacters.Name(codePoint)})");
            }
            else if (KeyCharacters.Refused(codePoint) is not null && !KeyCharacters.IsJoinerBetweenLetters(codePoint, previous, next))
            {
                builder.Append(CultureInfo.InvariantCulture, $"({KeyCharacters.Name(codePoint)})");
            }
            else
            {
                builder.Append(key, i, units);
            }

            previous = codePoint;
            i += units - 1;
        }

        var repaired = builder.ToString().Normalize(NormalizationForm.FormC);
        return KeyCharacters.Problem(repaired) is null && Encoding.UTF8.GetByteCount(repaired) <= maxKeyBytes ? repaired : null;
    }

    // The code point at index i of s (a lone surrogate as itself), 0 past its end.
    private static int CodePointAt(string s, int i) =>
        i >= s.Length ? 0 : i + 1 < s.Length && char.IsSurrogatePair(s[i], s[i + 1]) ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];

    /// <summary>
    /// <paramref name="key"/>, or when <paramref name="taken"/> holds it, the first of <c>name (2).ext</c>,
    /// <c>name (3).ext</c>, ... it does not hold (the number before the last extension of the last segment).
    /// </summary>
    public static string Free(string key, IReadOnlySet<string> taken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(taken);
        if (!taken.Contains(key))
        {
            return key;
        }

        var segment = key.LastIndexOf('/') + 1;
        var dot = key.LastIndexOf('.');
        var stemEnd = dot > segment ? dot : key.Length;
        for (var n = 2; ; n++)
        {
            var candidate = string.Concat(key.AsSpan(0, stemEnd), $" ({n.ToString(CultureInfo.InvariantCulture)})", key.AsSpan(stemEnd));
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }
}
