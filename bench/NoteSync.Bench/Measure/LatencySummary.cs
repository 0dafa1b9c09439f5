using System.Text.Json.Nodes;

namespace NoteSync.Bench.Measure;

/// <summary>Percentiles of a set of samples, in milliseconds; all null when there were none.</summary>
internal sealed record LatencySummary(int Count, double? P50, double? P90, double? P99, double? Max, double? Mean)
{
    public static readonly LatencySummary Empty = new(0, null, null, null, null, null);

    public JsonObject ToJson() => new()
    {
        ["n"] = Count,
        ["p50"] = Round(P50),
        ["p90"] = Round(P90),
        ["p99"] = Round(P99),
        ["max"] = Round(Max),
        ["mean"] = Round(Mean),
    };

    public static string Format(double? ms) => ms is null ? "-" : ms.Value.ToString(ms.Value < 10 ? "0.00" : "0.0");

    private static double? Round(double? v) => v is null ? null : Math.Round(v.Value, 3);
}
