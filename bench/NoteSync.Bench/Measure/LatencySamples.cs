namespace NoteSync.Bench.Measure;

/// <summary>
/// Raw latency samples in milliseconds. Kept raw, not bucketed, so the percentiles are exact: a run
/// holds at most a few hundred thousand samples. Not thread-safe: one instance per receiving device,
/// merged after the run.
/// </summary>
internal sealed class LatencySamples
{
    private readonly List<double> _samples = [];

    public int Count => _samples.Count;

    public void Add(double ms) => _samples.Add(ms);

    public void AddTicks(long ticks) => _samples.Add(Ticks.ToMs(ticks));

    public static LatencySummary Summarize(IEnumerable<LatencySamples> parts)
    {
        var all = new List<double>();
        foreach (var part in parts)
        {
            all.AddRange(part._samples);
        }

        return Summarize(all);
    }

    public static LatencySummary Summarize(List<double> values)
    {
        if (values.Count == 0)
        {
            return LatencySummary.Empty;
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        return new LatencySummary(
            sorted.Length,
            NearestRank(sorted, 50),
            NearestRank(sorted, 90),
            NearestRank(sorted, 99),
            sorted[^1],
            sorted.Average());
    }

    // Nearest-rank percentile, the same definition as bench-peers/loadgen.mjs, so figures compare.
    private static double NearestRank(double[] sorted, double p)
    {
        var i = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(i, 0, sorted.Length - 1)];
    }
}
