using System.Text.Json.Nodes;

namespace NoteSync.Bench.Measure;

/// <summary>
/// Watches the server process for one scenario: CPU seconds between two marks, and peak VmRSS sampled
/// every 50 ms on its own thread (so a busy thread pool in the bench does not stretch the interval).
/// Without a pid every figure is null.
/// </summary>
internal sealed class ProcessSampler : IDisposable
{
    private const int IntervalMs = 50;

    private readonly int? _pid;
    private readonly Thread? _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _peakRssKb;
    private long _samples;

    public ProcessSampler(int? pid)
    {
        _pid = pid;
        if (pid is null)
        {
            return;
        }

        StartRssKb = ProcFs.Memory(pid.Value)?.RssKb;
        _peakRssKb = StartRssKb ?? 0;
        _thread = new Thread(SampleLoop) { IsBackground = true, Name = "rss-sampler" };
        _thread.Start();
    }

    public long? StartRssKb { get; }

    public double? CpuSeconds() => _pid is null ? null : ProcFs.CpuSeconds(_pid.Value);

    public long? RssKb() => _pid is null ? null : ProcFs.Memory(_pid.Value)?.RssKb;

    public long? PeakRssKb => _pid is null ? null : Interlocked.Read(ref _peakRssKb);

    /// <summary>Stops sampling and describes the whole window (peak over it, VmHWM at its end).</summary>
    public JsonObject Stop()
    {
        _stop.Cancel();
        _thread?.Join();
        if (_pid is null)
        {
            return new JsonObject { ["pid"] = null };
        }

        var end = ProcFs.Memory(_pid.Value);
        if (end is { } m && m.RssKb > _peakRssKb)
        {
            _peakRssKb = m.RssKb;
        }

        return new JsonObject
        {
            ["pid"] = _pid,
            ["rss_start_mb"] = Mb(StartRssKb),
            ["rss_end_mb"] = Mb(end?.RssKb),
            ["rss_peak_mb"] = Mb(_peakRssKb),
            ["vm_hwm_mb"] = Mb(end?.HwmKb),
            ["rss_samples"] = _samples,
        };
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _stop.Dispose();
    }

    public static double? Mb(long? kb) => kb is null ? null : Math.Round(kb.Value / 1024.0, 1);

    private void SampleLoop()
    {
        var pid = _pid!.Value;
        while (!_stop.Token.WaitHandle.WaitOne(IntervalMs))
        {
            if (ProcFs.Memory(pid) is { } m)
            {
                _samples++;
                if (m.RssKb > Interlocked.Read(ref _peakRssKb))
                {
                    Interlocked.Exchange(ref _peakRssKb, m.RssKb);
                }
            }
        }
    }
}
