namespace NoteSync.Bench.Measure;

/// <summary>
/// CPU seconds of the server (summed over its nodes), of the shared Redis (scale-out, when measured) and of
/// the bench itself at one instant, to diff two instants.
/// </summary>
internal readonly record struct CpuMark(long At, double? ServerCpuS, double BenchCpuS, double? RedisCpuS = null)
{
    public static CpuMark Take(ProcessSampler server, ProcessSampler? redis = null) =>
        new(Ticks.Now, server.CpuSeconds(), ProcFs.CpuSeconds(Environment.ProcessId) ?? 0, redis?.CpuSeconds());

    public double? ServerSecondsSince(CpuMark start) =>
        ServerCpuS is { } end && start.ServerCpuS is { } begin ? Math.Round(end - begin, 3) : null;

    public double? RedisSecondsSince(CpuMark start) =>
        RedisCpuS is { } end && start.RedisCpuS is { } begin ? Math.Round(end - begin, 3) : null;

    /// <summary>The bench's CPU use over the interval, 1.0 = one core full. Near 1 means the bench, not the server, is the limit.</summary>
    public double BenchUtilSince(CpuMark start)
    {
        var wallS = Ticks.ToMs(At - start.At) / 1000;
        return wallS <= 0 ? 0 : Math.Round((BenchCpuS - start.BenchCpuS) / wallS, 3);
    }
}
