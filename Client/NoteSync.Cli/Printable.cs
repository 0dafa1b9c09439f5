using System.Globalization;
using System.Text;

namespace NoteSync.Cli;

/// <summary>
/// Text from the server, made safe to print: its control characters become <c>\uXXXX</c>, so a reason
/// cannot move the cursor, recolour or clear the terminal, or forge a line of its own.
/// </summary>
internal static class Printable
{
    public static string Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            escaped.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}") : c);
        }

        return escaped.ToString();
    }
}
