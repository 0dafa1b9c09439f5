using System.Diagnostics;
using System.Text;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A real NoteSync server in its own process on 127.0.0.1, on its own temp data directory (owned, and
/// deleted, unless given). <see cref="Kill"/> is a <c>kill -9</c>; <see cref="RestartAsync"/> starts a
/// new process on the same data directory and port. A wrapper command (e.g. <see cref="TinyDisk.Wrapper"/>)
/// may run the server, for every start; it must <c>exec</c> it, so the process id is the server's.
/// </summary>
internal sealed class ServerProcess : ITestServer
{
    // A start takes 1-3 s; with every core busy (the suite's parallel tests, a Redis starting beside it)
    // one was seen to pass 30 s. A bound on a wait, so a generous one costs nothing.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory? _ownedDir;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;
    private RedisServer? _ownedRedis;

    private readonly string _serverDirectory;
    private readonly IReadOnlyList<string> _wrapper;

    private ServerProcess(string dataDir, TempDirectory? ownedDir, IReadOnlyDictionary<string, string> environment, string serverDirectory, IReadOnlyList<string> wrapper)
    {
        DataDir = dataDir;
        _ownedDir = ownedDir;
        _environment = environment;
        _serverDirectory = serverDirectory;
        _wrapper = wrapper;
    }

    public string DataDir { get; }

    public int Port { get; private set; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public int ProcessId => _process?.Id ?? 0;

    /// <summary>The exit code of the process that ended, null while it runs.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>The redis-server this server was started on by <see cref="StartOnStoreAsync"/>, or null.</summary>
    public RedisServer? Redis => _ownedRedis;

    /// <summary>Everything the process printed so far (for failure messages).</summary>
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

    /// <summary>
    /// Starts a server; <paramref name="settings"/> are <c>NoteSync__X</c>-style environment overrides,
    /// <paramref name="serverDirectory"/> where its binaries are (the test's own output by default),
    /// <paramref name="wrapper"/> a command that runs <c>dotnet NoteSync.Server.dll ...</c> given as its last arguments,
    /// <paramref name="port"/> the port of a server stopped before (0: a fresh one), to start another at its address.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null, string? dataDir = null, string? serverDirectory = null, IReadOnlyList<string>? wrapper = null, int port = 0)
    {
        var owned = dataDir is null ? new TempDirectory() : null;
        var server = new ServerProcess(dataDir ?? owned!.Path, owned, settings ?? new Dictionary<string, string>(), serverDirectory ?? AppContext.BaseDirectory, wrapper ?? []);
        try
        {
            await server.LaunchAsync(port);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a server on <paramref name="store"/> (<see cref="TestStores.StartServerAsync"/>).</summary>
    public static Task<ServerProcess> StartOnStoreAsync(string store, IReadOnlyDictionary<string, string>? settings = null) =>
        TestStores.StartServerAsync(store, settings, s => StartAsync(s), (server, redis) => server._ownedRedis = redis);

    /// <summary>
    /// The server process's resident memory (<c>VmRSS</c> of <c>/proc/&lt;pid&gt;/status</c>), in bytes: what
    /// the machine actually gives it, GC heaps, native buffers and all.
    /// </summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{ProcessId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                // "VmRSS:    123456 kB"
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS in /proc/{ProcessId}/status");
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine loses power under the process.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>Kills the process if it runs, then starts a new one on the same data directory and port.</summary>
    public Task RestartAsync()
    {
        Kill();
        _process?.Dispose();
        return LaunchAsync(Port);
    }

    /// <summary>
    /// An orderly stop (SIGTERM: the host shuts down and the store closes), as an operator stops the
    /// service before copying or restoring its data directory; waits for the exit.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } p)
        {
            return;
        }

        Signal("TERM");

        // The server ends live connections at once, but the host would give a request stuck elsewhere up to
        // its 30 s shutdown timeout: allow more than that before calling the stop stuck.
        var limit = TimeSpan.FromSeconds(60);
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the server did not stop on SIGTERM within {limit}:\n{Output}");
        }
    }

    /// <summary>Starts a new process on the same data directory and port, after <see cref="StopAsync"/> or <see cref="Kill"/>.</summary>
    public Task StartAgainAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("the server still runs");
        }

        _process?.Dispose();
        return LaunchAsync(Port);
    }

    /// <summary>
    /// Waits until the kernel shows the process stopped (state <c>T</c> in <c>/proc/&lt;pid&gt;/stat</c>) after a
    /// SIGSTOP: the signal is delivered asynchronously, so a request sent at once could still be served.
    /// </summary>
    public Task WaitUntilStoppedAsync(TimeSpan bound) =>
        ClientKit.WaitUntilAsync(
            () =>
            {
                var stat = File.ReadAllText($"/proc/{ProcessId}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
            },
            $"the server (pid {ProcessId}) to show stopped after SIGSTOP",
            bound);

    /// <summary>Stops the process for a while (SIGSTOP) or lets it go on (SIGCONT).</summary>
    public void Signal(string signal)
    {
        if (_process is not { HasExited: false })
        {
            return;
        }

        using var kill = Process.Start("kill", $"-{signal} {ProcessId}");
        kill.WaitForExit();
    }

    private async Task LaunchAsync(int port)
    {
        var serverDll = Path.Combine(_serverDirectory, "NoteSync.Server.dll");
        var start = new ProcessStartInfo(_wrapper.Count > 0 ? _wrapper[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,

            // A wrapped server's data directory may exist only inside the wrapper (a mount namespace).
            WorkingDirectory = _wrapper.Count > 0 ? _serverDirectory : DataDir,
        };
        foreach (var arg in _wrapper.Skip(1).Concat(_wrapper.Count > 0 ? ["dotnet"] : []))
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add(serverDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["NoteSync__DataDir"] = DataDir;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, listening);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, listening);
        process.Exited += (_, _) =>
        {
            // The parameterless wait also waits for the redirected output to be read to its end.
            process.WaitForExit();
            listening.TrySetException(new InvalidOperationException($"the server exited during start-up (exit code {process.ExitCode}):\n{Output}"));
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        try
        {
            Port = await listening.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the server did not start within {StartTimeout}:\n{Output}");
        }

        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                if ((await http.GetAsync("healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                // Not listening yet, or too busy to answer within the request's timeout: ask again.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the server did not become healthy within {StartTimeout}:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    private void OnLine(string? line, TaskCompletionSource<int> listening)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            // Keep the tail only: a long test must not grow this without bound.
            if (_output.Length > 200_000)
            {
                _output.Remove(0, 100_000);
            }

            _output.AppendLine(line);
        }

        const string marker = "Now listening on: ";
        var at = line.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0 && Uri.TryCreate(line[(at + marker.Length)..].Trim(), UriKind.Absolute, out var uri))
        {
            listening.TrySetResult(uri.Port);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A test may fail while the process is stopped; continue it first so the kill cannot wait on it.
        Signal("CONT");
        Kill();
        _process?.Dispose();
        _ownedDir?.Dispose();
        if (_ownedRedis is not null)
        {
            await _ownedRedis.DisposeAsync();
        }
    }
}
