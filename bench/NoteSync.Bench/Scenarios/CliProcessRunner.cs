using System.Diagnostics;
using System.Text;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// One <c>notesync</c> CLI process (<c>dotnet notesync.dll ...</c>), its output kept for the error
/// message when it fails. It inherits the bench's CPU affinity, so CLI and bench share one core.
/// </summary>
internal sealed class CliProcessRunner : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private CliProcessRunner(Process process) => _process = process;

    public static CliProcessRunner Start(string cliDll, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cliDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The bench's own settings must not leak into the CLI.
        start.Environment.Remove("NOTESYNC_TOKEN");
        start.Environment.Remove("NOTESYNC_URL");
        var process = new Process { StartInfo = start };
        var runner = new CliProcessRunner(process);
        process.OutputDataReceived += (_, e) => runner.Append(e.Data);
        process.ErrorDataReceived += (_, e) => runner.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return runner;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Waits for the process to exit; throws with its output when it fails or outlives <paramref name="timeout"/>.</summary>
    public async Task WaitSuccessAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"notesync did not exit within {timeout.TotalSeconds:0} s:\n{Tail()}");
        }

        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"notesync exited with {_process.ExitCode}:\n{Tail()}");
        }
    }

    /// <summary>Ctrl+C (the CLI's clean stop), then a kill if it has not exited within 10 s.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private string Tail()
    {
        var text = Output;
        return text.Length <= 2000 ? text : "..." + text[^2000..];
    }
}
