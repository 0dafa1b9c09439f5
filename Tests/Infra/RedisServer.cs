using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A real <c>redis-server</c> process on a free loopback port, with its own temp directory, in the
/// foreground (<c>--daemonize no</c>) so the test owns and kills it. AOF is on with
/// <c>appendfsync always</c> and RDB snapshots off unless <c>appendOnly: false</c> (a volatile Redis, for
/// the start-up refusal tests). <see cref="RestartAsync"/> kills it (SIGKILL) and starts it again on the
/// same directory and port, as after a crash. A missing <c>redis-server</c> fails, never skips: the
/// test script installs it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _directory = new();
    private readonly bool _appendOnly;
    private readonly string[] _extraArguments;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private RedisServer(int port, bool appendOnly, string[] extraArguments)
    {
        Port = port;
        _appendOnly = appendOnly;
        _extraArguments = extraArguments;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis connection string of this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The directory holding the AOF.</summary>
    public string DataDirectory => _directory.Path;

    /// <summary>An argument <see cref="StartAsync"/> replaces with a free port, a fresh one at each attempt (e.g. <c>--cluster-port</c>).</summary>
    public const string AnyFreePort = "{free-port}";

    /// <param name="appendOnly">AOF on (the default) or off.</param>
    /// <param name="extraArguments">More <c>redis-server</c> arguments, e.g. <c>--replicaof 127.0.0.1 6379</c>; <see cref="AnyFreePort"/> for a port of its own.</param>
    public static async Task<RedisServer> StartAsync(bool appendOnly = true, params string[] extraArguments)
    {
        for (var attempt = 1; ; attempt++)
        {
            var arguments = extraArguments.Select(a => a == AnyFreePort ? FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) : a).ToArray();
            var server = new RedisServer(FreePort(), appendOnly, arguments);
            try
            {
                await server.LaunchAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3 && (server.Output.Contains("Address already in use", StringComparison.Ordinal)
                || server.Output.Contains("Failed listening on port", StringComparison.Ordinal)))
            {
                // A free port was taken between asking for it and redis-server binding it (by another
                // test's server or client, starting at the same moment): fresh ports, a fresh start.
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>A connection for tests, admin commands allowed (SCRIPT FLUSH, CONFIG, INFO), that rides out restarts.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
    {
        EndPoints = { { IPAddress.Loopback, Port } },
        AllowAdmin = true,
        AbortOnConnectFail = false,
        ConnectTimeout = 5000,
        SyncTimeout = 10_000,
        AsyncTimeout = 10_000,
    });

    /// <summary>The process id of the running redis-server (0 when none runs).</summary>
    public int ProcessId => _process is { HasExited: false } p ? p.Id : 0;

    /// <summary>
    /// SIGKILL, then a new process on the same directory and port after <paramref name="downtime"/>:
    /// what the AOF holds is what survives.
    /// </summary>
    public async Task RestartAsync(TimeSpan downtime = default)
    {
        Kill();
        await Task.Delay(downtime);
        await LaunchAsync();
    }

    /// <summary>SIGKILL, then <paramref name="whileDown"/>, then a new process on the same directory and port.</summary>
    public async Task RestartAfterAsync(Func<Task> whileDown)
    {
        Kill();
        await whileDown();
        await LaunchAsync();
    }

    /// <summary>
    /// SIGTERM (Redis's own orderly shutdown: clients refused, the AOF flushed and closed), then a new
    /// process on the same directory and port after <paramref name="downtime"/>: a planned restart, unlike <see cref="RestartAsync"/>.
    /// </summary>
    public async Task RestartGracefullyAsync(TimeSpan downtime = default)
    {
        if (_process is { HasExited: false } p)
        {
            Signal("TERM");
            if (!p.WaitForExit(20_000))
            {
                throw new TimeoutException($"redis-server did not shut down on SIGTERM within 20 s:\n{Output}");
            }

            p.Dispose();
            _process = null;
        }

        await Task.Delay(downtime);
        await LaunchAsync();
    }

    /// <summary>SIGSTOP: the process holds its sockets but answers nothing, as a hung or partitioned Redis.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_process!.Id}");
        kill.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            // A paused process would not die on SIGKILL until continued on some kernels; continue it first.
            Resume();
        }

        Kill();
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    private async Task LaunchAsync()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList =
            {
                "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--daemonize", "no",
                "--dir", _directory.Path,
                "--save", "",
                "--appendonly", _appendOnly ? "yes" : "no",
                "--appendfsync", "always",
                "--maxmemory-policy", "noeviction",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory.Path,
        };
        foreach (var argument in _extraArguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                "redis-server is not installed (or not on PATH); the Redis tests need a real one. Run ./test.sh, which installs it, or: sudo apt-get install -y redis-server",
                ex);
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // Ready when it answers PING on its port (AOF loading happens before it accepts commands).
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited during start-up:\n{Output}");
            }

            if (await PingsAsync())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"redis-server did not answer PING within {StartTimeout}:\n{Output}");
            }

            await Task.Delay(25);
        }
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(2));
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray()).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
