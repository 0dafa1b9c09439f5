using System.Text.Json;
using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// <c>.notesync/status.json</c>, the running sync's live state for <c>status</c> and <c>conflicts</c>
/// (which cannot open the store while the sync holds it):
/// <c>{"pid", "state", "transport", "fell_back_to_polling", "outbox", "last_ack", "last_error", "conflicts": [paths],
/// "refused": [{"path", "code", "reason"}], "updated"}</c>.
/// Written atomically when it changes, deleted when the sync stops. Readers ignore unknown fields.
/// </summary>
internal static class StatusFile
{
    public static byte[] Build(ConnectionStatus status, long lastAck, IEnumerable<string> conflicts, IEnumerable<RefusedWrite> refused)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("pid", Environment.ProcessId);
            w.WriteString("state", Names.IdOf(status));
            w.WriteString("transport", Names.Of(status.Transport));
            w.WriteBoolean("fell_back_to_polling", status.FellBackToPolling);
            w.WriteNumber("outbox", status.OutboxDepth);
            w.WriteNumber("last_ack", lastAck);
            w.WriteString("last_error", status.LastError);
            JsonResult.WriteStrings(w, "conflicts", conflicts.Order(StringComparer.Ordinal));
            w.WriteStartArray("refused");
            foreach (var r in refused)
            {
                w.WriteStartObject();
                w.WriteString("path", r.Path);
                w.WriteString("code", r.Code);
                w.WriteString("reason", r.Reason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The running sync's state, or null when there is none (or it is unreadable mid-replace).</summary>
    public static JsonDocument? Read(FolderLayout layout)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(layout.StatusPath));
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
    }
}
