using System.Text.Json;

namespace NoteSync.Cli;

/// <summary>
/// <c>.notesync/config.json</c>: <c>{"server": "...", "device": "...", "space": "..."}</c>, written by the first
/// command that connects, so later commands need neither option. <c>space</c> is the space the folder's
/// sync state belongs to (its token's <c>space</c> claim, <c>""</c> without a token; absent when written by
/// an older notesync: unknown). The token is never stored. Unknown fields are ignored.
/// </summary>
internal sealed record FolderConfig(string? Server, string? Device, string? Space = null)
{
    public static FolderConfig Load(FolderLayout layout)
    {
        if (!File.Exists(layout.ConfigPath))
        {
            return new FolderConfig(null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(layout.ConfigPath));
            return new FolderConfig(ReadString(doc.RootElement, "server"), ReadString(doc.RootElement, "device"), ReadString(doc.RootElement, "space"));
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.LocalIo, $"{layout.ConfigPath} is not valid JSON ({ex.Message}); fix or delete it");
        }
    }

    public void Save(FolderLayout layout)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("server", Server);
            writer.WriteString("device", Device);
            if (Space is not null)
            {
                writer.WriteString("space", Space);
            }

            writer.WriteEndObject();
        }

        AtomicFile.Write(layout.ConfigPath, buffer.ToArray());
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> are one address (case of scheme and host, a trailing slash aside).</summary>
    public static bool SameServer(string a, string b) =>
        Uri.TryCreate(a.TrimEnd('/') + "/", UriKind.Absolute, out var x) && Uri.TryCreate(b.TrimEnd('/') + "/", UriKind.Absolute, out var y)
            ? x == y
            : string.Equals(a, b, StringComparison.Ordinal);

    private static string? ReadString(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
