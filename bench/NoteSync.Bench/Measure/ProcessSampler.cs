using System.Text.Json.Nodes;

namespace NoteSync.Bench.Measure;

/// <summary>
/// Watches the server process(es) for one scenario: CPU seconds between two marks, and peak VmRSS sampled
/// every 50 ms on its own thread (so a busy thread pool in the bench does not stretch the interval).
/// With several pids (the nodes of a scale-out run) CPU is summed and the RSS figures are the sum over
/// the processes, sampled together (peak = the highest sum seen). Without a pid every figure is null.
/// </summary>
internal sealed class ProcessSampler : IDisposable
{
    private const int IntervalMs = 50;

    private readonly int[] _pids;
    private readonly Thread? _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _peakRssKb;
    private long _samples;

    public ProcessSampler(IReadOnlyList<int> pids)
    {
        _pids = [.. pids];
        if (_pids.Length == 0)
        {
            return;
        }

        StartRssKb = RssKb();
        _peakRssKb = StartRssKb ?? 0;
        _thread = new Thread(SampleLoop) { IsBackground = true, Name = "rss-sampler" };
        _thread.Start();
    }

    public ProcessSampler(int? pid)
        : this(pid is { } p ? [p] : [])
    {
    }

    public long? StartRssKb { get; }

    /// <summary>utime + stime summed over the processes; null without pids or when one is gone.</summary>
    public double? CpuSeconds()
    {
        if (_pids.Length == 0)
        {
            return null;
        }

        double sum = 0;
        foreach (var pid in _pids)
        {
            if (ProcFs.CpuSeconds(pid) is not { } s)
            {
                return null;
            }

            sum += s;
        }

        return sum;
    }

    /// <summary>VmRSS summed over the processes; null without pids or when one is gone.</summary>
    public long? RssKb() => Sum(m => m.RssKb);

    public long? PeakRssKb => _pids.Length == 0 ? null : Interlocked.Read(ref _peakRssKb);

    /// <summary>
    /// Stops sampling and describes the whole window (peak over it, VmHWM at its end). The single-process
    /// fields are unchanged; with several processes <c>pid</c> is the first, <c>pids</c> lists them all,
    /// the MB figures are sums (<c>vm_hwm_mb</c>: the sum of each process's own peak) and <c>per_process</c>
    /// gives each one's end RSS and VmHWM.
    /// </summary>
    public JsonObject Stop()
    {
        _stop.Cancel();
        _thread?.Join();
        if (_pids.Length == 0)
        {
            return new JsonObject { ["pid"] = null };
        }

        var ends = _pids.Select(ProcFs.Memory).ToArray();
        long? endRss = ends.All(e => e is not null) ? ends.Sum(e => e!.Value.RssKb) : null;
        long? endHwm = ends.All(e => e is not null) ? ends.Sum(e => e!.Value.HwmKb) : null;
        if (endRss is { } r && r > _peakRssKb)
        {
            _peakRssKb = r;
        }

        var json = new JsonObject
        {
            ["pid"] = _pids[0],
            ["rss_start_mb"] = Mb(StartRssKb),
            ["rss_end_mb"] = Mb(endRss),
            ["rss_peak_mb"] = Mb(_peakRssKb),
            ["vm_hwm_mb"] = Mb(endHwm),
            ["rss_samples"] = _samples,
        };
        if (_pids.Length > 1)
        {
            json["pids"] = new JsonArray([.. _pids.Select(p => (JsonNode?)p)]);
            json["per_process"] = new JsonArray([.. _pids.Select((p, i) => (JsonNode?)new JsonObject
            {
                ["pid"] = p,
                ["rss_end_mb"] = Mb(ends[i]?.RssKb),
                ["vm_hwm_mb"] = Mb(ends[i]?.HwmKb),
            })]);
        }

        return json;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _stop.Dispose();
    }

    public static double? Mb(long? kb) => kb is null ? null : Math.Round(kb.Value / 1024.0, 1);

    private long? Sum(Func<(long RssKb, long HwmKb), long> pick)
    {
        if (_pids.Length == 0)
        {
            return null;
        }

        long sum = 0;
        foreach (var pid in _pids)
        {
            if (ProcFs.Memory(pid) is not { } m)
            {
                return null;
            }

            sum += pick(m);
        }

        return sum;
    }

    private void SampleLoop()
    {
        while (!_stop.Token.WaitHandle.WaitOne(IntervalMs))
        {
            if (RssKb() is { } rss)
            {
                _samples++;
                if (rss > Interlocked.Read(ref _peakRssKb))
                {
                    Interlocked.Exchange(ref _peakRssKb, rss);
                }
            }
        }
    }
}
