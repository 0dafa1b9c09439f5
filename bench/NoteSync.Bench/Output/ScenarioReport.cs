using System.Text.Json.Nodes;

namespace NoteSync.Bench.Output;

/// <summary>What one run produced: the full record for the JSONL file and the few figures for the table.</summary>
internal sealed record ScenarioReport(string Title, JsonObject Record, IReadOnlyList<(string Label, string Value)> Rows, bool Ok);
