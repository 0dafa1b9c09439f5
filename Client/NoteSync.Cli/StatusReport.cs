using System.Text.Json;

namespace NoteSync.Cli;

/// <summary>
/// What <c>status</c> tells of a folder, as lines for a person or as the <c>--json</c> document. A value the
/// command cannot know (a sync that is starting has written no status yet) is null, and left out of the lines.
/// </summary>
internal sealed record StatusReport(string Folder, string? Server, string? Device, bool Running)
{
    // The longest label: every label is padded one column past it, so each value stands apart from its
    // name, at the same width whichever lines a folder has.
    private const string LastErrorLabel = "last_error";
    private static readonly int LabelWidth = LastErrorLabel.Length + 2;

    public int? Pid { get; init; }

    /// <summary>A state id (<see cref="Names.IdOf"/>), <c>starting</c> before a running sync wrote its status.</summary>
    public required string State { get; init; }

    public string? Transport { get; init; }

    public bool FellBackToPolling { get; init; }

    public int? Outbox { get; init; }

    public long? LastAck { get; init; }

    public string? LastError { get; init; }

    public IReadOnlyList<string>? Conflicts { get; init; }

    public IReadOnlyList<(string Path, string Code, string Reason)>? Refused { get; init; }

    public IEnumerable<string> Lines()
    {
        var lines = new List<(string, string)> { ("folder", Folder), ("server", Server ?? "-"), ("device", Device ?? "-") };
        if (!Running)
        {
            lines.Add(("sync", "not running"));
        }
        else
        {
            lines.Add(("sync", Pid is { } pid ? $"running (pid {pid})" : "running (starting up)"));
        }

        if (Pid is not null || !Running)
        {
            lines.Add(("state", Names.Describe(State)));
            lines.Add(("transport", Transport + (FellBackToPolling ? " (the WebSocket was refused)" : "")));
            lines.Add(("outbox", $"{Outbox:N0}"));
            lines.Add(("last_ack", $"{LastAck}"));
            lines.Add(("conflicts", $"{Conflicts?.Count:N0}"));
        }

        if (Refused is { } refused)
        {
            lines.Add(("refused", $"{refused.Count:N0}"));
            lines.AddRange(refused.Select(r => ("refused", $"{r.Path}: {r.Code}: {r.Reason}")));
        }

        if (LastError is { } error)
        {
            lines.Add((LastErrorLabel, error));
        }

        return lines.Select(l => (l.Item1 + ":").PadRight(LabelWidth) + l.Item2);
    }

    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("folder", Folder);
        w.WriteString("server", Server);
        w.WriteString("device", Device);
        w.WriteBoolean("running", Running);
        WriteNumber(w, "pid", Pid);
        w.WriteString("state", State);
        w.WriteString("transport", Transport);
        w.WriteBoolean("fell_back_to_polling", FellBackToPolling);
        WriteNumber(w, "outbox", Outbox);
        WriteNumber(w, "last_ack", LastAck);
        w.WriteString("last_error", LastError);
        if (Conflicts is { } conflicts)
        {
            JsonResult.WriteStrings(w, "conflicts", conflicts);
        }
        else
        {
            w.WriteNull("conflicts");
        }

        w.WriteStartArray("refused");
        foreach (var (path, code, reason) in Refused ?? [])
        {
            w.WriteStartObject();
            w.WriteString("path", path);
            w.WriteString("code", code);
            w.WriteString("reason", reason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } n)
        {
            w.WriteNumber(name, n);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
