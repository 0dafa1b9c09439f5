using System.Diagnostics;

namespace NoteSync.Bench.Measure;

/// <summary>Every time in the bench is a <see cref="Stopwatch"/> timestamp: one monotonic clock for sends and receipts.</summary>
internal static class Ticks
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public static long FromMs(double ms) => (long)(ms * Stopwatch.Frequency / 1000.0);
}
