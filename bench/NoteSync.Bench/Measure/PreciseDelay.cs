using System.Runtime.InteropServices;

namespace NoteSync.Bench.Measure;

/// <summary>
/// Waits until a <see cref="Ticks"/> instant with sub-millisecond precision and little spinning.
/// <see cref="Thread.Sleep(int)"/> has 1 ms granularity: at 1000+ writes/s it would add up to a
/// millisecond of send lag to every write, and spinning instead would eat the bench's only core.
/// </summary>
internal static partial class PreciseDelay
{
    private static bool _noUsleep;

    public static void Until(long ticks)
    {
        while (true)
        {
            var remainingUs = Ticks.ToMs(ticks - Ticks.Now) * 1000;
            if (remainingUs <= 0)
            {
                return;
            }

            if (remainingUs > 2000)
            {
                Thread.Sleep((int)(remainingUs / 1000) - 1);
            }
            else if (remainingUs > 80 && !_noUsleep)
            {
                // Wake ~60 us early (the kernel's default timer slack is 50 us) and spin the rest.
                Microsleep((uint)(remainingUs - 60));
            }
            else
            {
                Thread.SpinWait(20);
            }
        }
    }

    private static void Microsleep(uint microseconds)
    {
        try
        {
            _ = Usleep(microseconds);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _noUsleep = true;
        }
    }

    [DllImport("libc", EntryPoint = "usleep")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Usleep(uint microseconds);
}
