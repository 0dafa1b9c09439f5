using System.Diagnostics;
using System.Text;

namespace NoteSync.Tests.Infra;

/// <summary>
/// The <c>notesync</c> CLI as a real child process (<c>dotnet notesync.dll</c> from the test's output),
/// its stdout and stderr kept line by line. <see cref="Kill"/> is a <c>kill -9</c>, <see cref="Interrupt"/>
/// a Ctrl+C (SIGINT), <see cref="Terminate"/> a SIGTERM. Disposing kills it if it still runs.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process) => _process = process;

    public int ProcessId => _process.Id;

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    /// <summary>
    /// Starts <c>notesync <paramref name="args"/></c>; <paramref name="environment"/> adds variables (NOTESYNC_TOKEN
    /// is cleared unless given). <paramref name="wrapper"/>, when given, is a command that runs the rest
    /// (<c>dotnet notesync.dll args</c>) as its last arguments, e.g. <c>unshare</c> with a mount.
    /// </summary>
    public static CliProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, IReadOnlyList<string>? wrapper = null)
    {
        var start = new ProcessStartInfo(wrapper is { Count: > 0 } ? wrapper[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        if (wrapper is { Count: > 0 })
        {
            foreach (var arg in wrapper.Skip(1))
            {
                start.ArgumentList.Add(arg);
            }

            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "notesync.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("NOTESYNC_TOKEN");
        start.Environment.Remove("NOTESYNC_URL");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => Append(cli._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(cli._stderr, e.Data);
        process.Exited += (_, _) =>
        {
            // The parameterless wait also drains the redirected output.
            process.WaitForExit();
            cli._exited.TrySetResult();
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs a command to its end: (exit code, stdout, stderr).</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, IReadOnlyList<string>? wrapper = null)
    {
        await using var cli = Start(args, environment, workingDirectory, wrapper);
        var exit = await cli.WaitForExitAsync();
        return (exit, cli.Stdout, cli.Stderr);
    }

    /// <summary>Waits for the exit code, at most a minute.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout ?? ExitTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"notesync did not exit:\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        return _process.ExitCode;
    }

    /// <summary>Waits until stderr holds <paramref name="text"/>; fails with both outputs otherwise.</summary>
    public async Task WaitForStderrAsync(string text, TimeSpan? timeout = null)
    {
        try
        {
            await ClientKit.WaitUntilAsync(() => Stderr.Contains(text, StringComparison.Ordinal) || HasExited, $"notesync to say '{text}'", timeout);
        }
        catch (TimeoutException)
        {
            // Reported below, with what it did say.
        }

        if (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            throw new TimeoutException($"notesync never said '{text}' (exited: {HasExited}):\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
    }

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }

            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Ctrl+C (SIGINT), as a terminal sends it.</summary>
    public void Interrupt() => Signal("INT");

    /// <summary>SIGTERM, as a service manager stops a process.</summary>
    public void Terminate() => Signal("TERM");

    private void Signal(string name)
    {
        using var kill = Process.Start("kill", $"-{name} {ProcessId}");
        kill.WaitForExit();

        // A signal that was not delivered must fail here, not as "did not exit" a minute later.
        Assert.True(kill.ExitCode == 0 || HasExited, $"kill -{name} {ProcessId} failed with {kill.ExitCode}");
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            // Keep the tail only: a 5,000-note run must not grow this without bound.
            if (buffer.Length > 400_000)
            {
                buffer.Remove(0, 200_000);
            }

            buffer.AppendLine(line);
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
