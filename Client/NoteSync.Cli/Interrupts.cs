using System.Runtime.InteropServices;

namespace NoteSync.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM. The first cancels <see cref="Token"/>: the command stops its watcher,
/// commits, closes the store and exits 128 + the signal (<see cref="ExitCode"/>: 130, or 143 for SIGTERM, as
/// a service manager expects of a process it stopped). A second one while that runs ends the process at once by
/// the signal's default action (exit 130 or 143): a person pressing Ctrl+C twice means it, and nothing
/// is lost by it, since every queued write is committed to the store before the file counts as synced.
/// </summary>
internal sealed partial class Interrupts : IDisposable
{
    private const int SigInt = 2;
    private const nint SigIgn = 1;

    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private int _received;
    private int _exitCode = ExitCodes.Interrupted;

    private Interrupts()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first Ctrl+C or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>The exit code of a command stopped by the first signal: 128 + its number.</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    /// <summary>Takes over SIGINT and SIGTERM; call before anything touches the console or starts a process.</summary>
    public static Interrupts Install()
    {
        UnignoreSigint();
        return new Interrupts();
    }

    /// <summary>
    /// A program started as a background job of a non-interactive shell (<c>notesync sync ~/Notes &amp;</c>
    /// in a script, a CI runner, a test harness started that way) inherits SIGINT ignored, and .NET then
    /// installs no handler for it: Ctrl+C and <c>kill -INT</c> were dropped by the kernel and the sync ran
    /// on as if hung. notesync promises that Ctrl+C stops it, so it takes SIGINT back to the default
    /// before the runtime looks at it, as Go's signal.Notify does for an ignored SIGINT.
    /// </summary>
    private static void UnignoreSigint()
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
        {
            return;
        }

        // Big enough for struct sigaction on every supported libc; all zeros is SIG_DFL, an empty mask
        // and no flags whatever the field order, and the handler is the first field on these platforms.
        var action = new byte[256];
        try
        {
            if (SigAction(SigInt, null, action) != 0 || MemoryMarshal.Read<nint>(action) != SigIgn)
            {
                // Not ignored: the runtime's own handler may be in place already and must stay.
                return;
            }

            Array.Clear(action);
            _ = SigAction(SigInt, action, null);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc to ask: Ctrl+C works as the runtime sets it up, which covers every terminal.
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1)
        {
            // Not cancelled: the runtime applies the default action and the process ends here.
            return;
        }

        context.Cancel = true;
        Volatile.Write(ref _exitCode, context.Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted);

        // Said at once: a clean stop can take a while (a store another program holds busy, up to its 30 s
        // timeout), and a person who sees nothing happen should know the way out.
        Console.Error.WriteLine(context.Signal == PosixSignal.SIGINT
            ? "notesync: stopping; Ctrl+C again quits at once (queued edits are kept either way)"
            : "notesync: stopping");
        _stop.Cancel();
    }

    /// <summary>
    /// The registrations only; the token source stays undisposed, because a handler the runtime started
    /// just before may still cancel it, and the process is ending anyway.
    /// </summary>
    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int SigAction(int signal, byte[]? action, byte[]? oldAction);
}
