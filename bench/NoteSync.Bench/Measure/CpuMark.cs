namespace NoteSync.Bench.Measure;

/// <summary>CPU seconds of the server and of the bench itself at one instant, to diff two instants.</summary>
internal readonly record struct CpuMark(long At, double? ServerCpuS, double BenchCpuS)
{
    public static CpuMark Take(ProcessSampler server) =>
        new(Ticks.Now, server.CpuSeconds(), ProcFs.CpuSeconds(Environment.ProcessId) ?? 0);

    public double? ServerSecondsSince(CpuMark start) =>
        ServerCpuS is { } end && start.ServerCpuS is { } begin ? Math.Round(end - begin, 3) : null;

    /// <summary>The bench's CPU use over the interval, 1.0 = one core full. Near 1 means the bench, not the server, is the limit.</summary>
    public double BenchUtilSince(CpuMark start)
    {
        var wallS = Ticks.ToMs(At - start.At) / 1000;
        return wallS <= 0 ? 0 : Math.Round((BenchCpuS - start.BenchCpuS) / wallS, 3);
    }
}
