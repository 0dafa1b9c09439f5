using System.Text.Encodings.Web;
using System.Text.Json;

namespace NoteSync.Cli;

/// <summary>
/// A command's result as one JSON document on stdout (<c>--json</c>), and nothing else there: notices stay
/// on stderr. Field names are snake_case, as on the wire, and documented in docs/client.md. Control characters
/// in names are escaped by JSON itself; other characters are written as they are, so a note's name reads as typed.
/// </summary>
internal static class JsonResult
{
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The option that asks for it.</summary>
    public static System.CommandLine.Option<bool> Option() => new("--json") { Description = "Print the result as one JSON document (fields in docs/client.md) instead of lines." };

    public static void Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }

        buffer.WriteByte((byte)'\n');
        Console.Out.Flush();
        using var stdout = Console.OpenStandardOutput();
        buffer.WriteTo(stdout);
    }

    /// <summary>An array of strings named <paramref name="name"/>.</summary>
    public static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
