using System.Text.Json;

namespace NoteSync.Cli;

/// <summary>
/// <c>.notesync/config.json</c>: <c>{"server": "...", "device": "..."}</c>, written by the first command
/// that connects, so later commands need neither option. The token is never stored. Unknown fields are ignored.
/// </summary>
internal sealed record FolderConfig(string? Server, string? Device)
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
            return new FolderConfig(ReadString(doc.RootElement, "server"), ReadString(doc.RootElement, "device"));
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
            writer.WriteEndObject();
        }

        AtomicFile.Write(layout.ConfigPath, buffer.ToArray());
    }

    private static string? ReadString(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
