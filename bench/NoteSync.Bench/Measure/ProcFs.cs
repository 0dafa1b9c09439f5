using System.Globalization;

namespace NoteSync.Bench.Measure;

/// <summary>Reads a process's CPU time and memory from <c>/proc</c> (Linux only).</summary>
internal static class ProcFs
{
    // /proc reports CPU in USER_HZ, which the kernel fixes at 100 for user space whatever CONFIG_HZ is.
    private const double UserHz = 100.0;

    public static bool Exists(int pid) => File.Exists($"/proc/{pid}/stat");

    /// <summary>utime + stime of <paramref name="pid"/>, all its threads, in seconds; null when it is gone.</summary>
    public static double? CpuSeconds(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
        var rest = text.AsSpan(text.LastIndexOf(')') + 2);
        Span<Range> fields = stackalloc Range[16];
        var n = rest.Split(fields, ' ');
        if (n < 13)
        {
            return null;
        }

        // rest starts at field 3 (state); utime and stime are fields 14 and 15.
        var utime = long.Parse(rest[fields[11]], CultureInfo.InvariantCulture);
        var stime = long.Parse(rest[fields[12]], CultureInfo.InvariantCulture);
        return (utime + stime) / UserHz;
    }

    /// <summary>VmRSS and VmHWM of <paramref name="pid"/> in KiB; null when it is gone.</summary>
    public static (long RssKb, long HwmKb)? Memory(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return null;
        }

        long rss = 0, hwm = 0;
        foreach (var line in lines)
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = ParseKb(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = ParseKb(line);
            }
        }

        return (rss, hwm);
    }

    private static long ParseKb(string line)
    {
        var value = line.AsSpan(line.IndexOf(':') + 1).Trim();
        var space = value.IndexOf(' ');
        return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
    }
}
