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
            var codePoint = KeyCharacters.CodePointAt(key, i);
            var units = codePoint > 0xFFFF ? 2 : 1;
            var next = KeyCharacters.CodePointAt(key, i + units);
            // A lone surrogate cannot be normalized or sent as UTF-8: written out like a refused character.
            var writtenOut = (units == 1 && char.IsSurrogate(key[i]))
                || (KeyCharacters.Refused(codePoint) is not null && !KeyCharacters.IsJoinerBetweenLetters(codePoint, previous, next));
            if (writtenOut)
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
