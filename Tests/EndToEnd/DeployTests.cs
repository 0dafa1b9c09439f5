using System.Diagnostics;
using System.Net;
using System.Text;
using NoteSync.Tests.Infra;
using Xunit.Abstractions;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// The deployment docs/operations.md (Deploying) gives: its <c>dotnet publish</c> command into a fresh
/// directory; <c>deploy/notesync.service</c> checked by <c>systemd-analyze verify</c> where that exists;
/// and the published server started as the unit's <c>ExecStart</c>, <c>Environment</c> and
/// <c>WorkingDirectory</c> say (their paths moved into the test's directory, a free loopback port, the
/// bare environment systemd gives a service), answering its probes, then stopped by the unit's <c>KillSignal</c>.
/// </summary>
public sealed class DeployTests(ITestOutputHelper output)
{
    private const string InstallDir = "/opt/notesync";
    private const string StateDir = "/var/lib/notesync";

    // systemd's PATH for services; nothing else of the test's environment reaches the server.
    private const string ServicePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    // Bounds on waits: an up-to-date publish takes seconds, a first one on a busy machine a minute or two.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ThePublishedServerRunsAsTheSystemdUnitStartsIt()
    {
        // Arrange
        using var temp = new TempDirectory();
        var installDir = Path.Combine(temp.Path, "opt-notesync");
        var stateDir = Directory.CreateDirectory(Path.Combine(temp.Path, "var-lib-notesync")).FullName;
        string Moved(string text) => text.Replace(InstallDir, installDir, StringComparison.Ordinal).Replace(StateDir, stateDir, StringComparison.Ordinal);
        var unitText = RepositoryFiles.Read("deploy/notesync.service");
        var unit = SystemdUnit.Parse(unitText);
        var publish = RepositoryFiles.Read("docs/operations.md").Split('\n').First(l => l.StartsWith("dotnet publish ", StringComparison.Ordinal)).Trim();
        Assert.EndsWith($"-o {InstallDir}", publish, StringComparison.Ordinal);
        Assert.Contains(publish, unitText, StringComparison.Ordinal);

        // Act: the documented publish, into the test's directory.
        var (published, publishOutput) = await RunAsync(Moved(publish).Split(' '), RepositoryFiles.Root(), PublishTimeout);

        // Assert: published with what the server needs beside it.
        Assert.True(published == 0, publishOutput);
        Assert.True(File.Exists(Path.Combine(installDir, "NoteSync.Server.dll")), publishOutput);
        Assert.True(File.Exists(Path.Combine(installDir, "appsettings.json")), publishOutput);
        Assert.True(File.Exists(Path.Combine(installDir, "wwwroot", "index.html")), publishOutput);
        Assert.True(File.Exists(Path.Combine(installDir, "wwwroot", "js", "notesync", "protocol.js")), publishOutput);
        await VerifyUnitAsync(Path.Combine(RepositoryFiles.Root(), "deploy", "notesync.service"));

        // Act: start it as the unit does.
        var environment = unit.Environment();
        Assert.StartsWith("http://127.0.0.1:", environment["ASPNETCORE_URLS"], StringComparison.Ordinal);
        var execStart = unit.Service("ExecStart").Single().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(execStart[0])
        {
            WorkingDirectory = Moved(unit.Service("WorkingDirectory").Single()),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in execStart.Skip(1))
        {
            start.ArgumentList.Add(Moved(argument));
        }

        start.Environment.Clear();
        start.Environment["PATH"] = ServicePath;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = Moved(value);
        }

        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        using var server = new OutputProcess(start);
        try
        {
            var port = await server.ListeningPortAsync(StartTimeout);

            // Assert: ready and live on its own store, in the unit's state directory.
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = StartTimeout };
            using var ready = await http.GetAsync("healthz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("""{"status":"healthy"}""", await ready.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz/live")).StatusCode);
            Assert.True(File.Exists(Path.Combine(stateDir, "notesync.db")), server.Output);

            // Act: stop it as systemctl stop does; Assert: an orderly exit within the unit's TimeoutStopSec.
            var signal = unit.Service("KillSignal").Single();
            var stopLimit = TimeSpan.FromSeconds(int.Parse(unit.Service("TimeoutStopSec").Single(), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(0, await server.StopAsync(signal, stopLimit));
        }
        finally
        {
            server.Kill();
        }
    }

    /// <summary><c>systemd-analyze verify</c>: unknown keys and bad values are only warnings to it, so any line about the unit fails too.</summary>
    private async Task VerifyUnitAsync(string unitPath)
    {
        if (!ServicePath.Split(':').Any(dir => File.Exists(Path.Combine(dir, "systemd-analyze"))))
        {
            output.WriteLine("systemd-analyze is not installed: the unit was parsed but its directives were NOT verified");
            return;
        }

        var (code, text) = await RunAsync(["systemd-analyze", "verify", unitPath], Path.GetDirectoryName(unitPath)!, StartTimeout);
        Assert.True(code == 0, text);
        Assert.DoesNotContain("notesync.service:", text, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string[] command, string workingDirectory, TimeSpan timeout)
    {
        var result = await ChildCommand.RunAsync(command[0], command.Skip(1), workingDirectory, timeout);
        return (result.ExitCode, result.Stdout + result.Stderr);
    }

    /// <summary>A child process whose stdout and stderr are kept, killed with its tree if still running when disposed.</summary>
    private sealed class OutputProcess : IDisposable
    {
        private const string ListeningMarker = "Now listening on: ";
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public OutputProcess(ProcessStartInfo start)
        {
            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) => OnLine(e.Data);
            _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
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

        public async Task<int> ListeningPortAsync(TimeSpan timeout)
        {
            var exited = _process.WaitForExitAsync();
            var first = await Task.WhenAny(_listening.Task, exited).WaitAsync(timeout).ConfigureAwait(false);
            Assert.True(first == _listening.Task, $"the server exited before it listened (exit code {(_process.HasExited ? _process.ExitCode : -1)}):\n{Output}");
            return await _listening.Task;
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var limit = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{_process.StartInfo.FileName} did not finish within {timeout}:\n{Output}");
            }

            return _process.ExitCode;
        }

        /// <summary>Sends <paramref name="signal"/> (<c>SIGTERM</c>) and waits for the exit code.</summary>
        public Task<int> StopAsync(string signal, TimeSpan timeout)
        {
            using (var kill = Process.Start("kill", $"-{signal.Replace("SIG", string.Empty, StringComparison.Ordinal)} {_process.Id}"))
            {
                kill.WaitForExit();
            }

            return WaitForExitAsync(timeout);
        }

        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }

        private void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }

            var at = line.IndexOf(ListeningMarker, StringComparison.Ordinal);
            if (at >= 0 && Uri.TryCreate(line[(at + ListeningMarker.Length)..].Trim(), UriKind.Absolute, out var uri))
            {
                _listening.TrySetResult(uri.Port);
            }
        }
    }
}
