namespace NoteSync.Bench.Output;

/// <summary>Prints a report as a two-column table, and sweeps as one row per rate.</summary>
internal static class TablePrinter
{
    public static void Print(ScenarioReport report, TextWriter writer)
    {
        var width = report.Rows.Count == 0 ? 10 : report.Rows.Max(r => r.Label.Length);
        writer.WriteLine();
        writer.WriteLine($"== {report.Title} {(report.Ok ? "" : "  ** NOT OK **")}");
        writer.WriteLine($"   {new string('-', width)}  {new string('-', 24)}");
        foreach (var (label, value) in report.Rows)
        {
            writer.WriteLine($"   {label.PadRight(width)}  {value}");
        }
    }

    public static void PrintGrid(string title, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows, TextWriter writer)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        writer.WriteLine();
        writer.WriteLine($"== {title}");
        writer.WriteLine("   " + string.Join("  ", headers.Select((h, i) => h.PadLeft(widths[i]))));
        writer.WriteLine("   " + string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            writer.WriteLine("   " + string.Join("  ", row.Select((c, i) => c.PadLeft(widths[i]))));
        }
    }
}
