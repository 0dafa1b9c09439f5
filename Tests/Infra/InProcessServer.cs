using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using NoteSync.Server;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A real NoteSync server hosted in the test process: the application <see cref="NoteSyncApp"/> builds,
/// on a real Kestrel on 127.0.0.1 (a free port), so devices reach it over TCP with the same WebSocket,
/// HTTP and SignalR clients as a server process. Its own temp data directory (owned, and deleted,
/// unless given), configuration (<c>NoteSync__X</c> keys, as for a process), log
/// (<see cref="Output"/>) and meters. A start costs a few hundred milliseconds instead of a process's
/// seconds. <see cref="StopAsync"/> is an orderly host shutdown; there is no kill, no signal and no
/// exit code here: tests of those keep <see cref="ServerProcess"/>.
/// </summary>
internal sealed class InProcessServer : ITestServer
{
    // A bound on a wait, so a generous one costs nothing; a start with every core busy takes seconds.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // More than the host's own 30 s shutdown timeout, which bounds a request stuck elsewhere.
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory? _ownedDir;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly CapturedLog _log = new();
    private WebApplication? _app;
    private RedisServer? _ownedRedis;

    private InProcessServer(string dataDir, TempDirectory? ownedDir, IReadOnlyDictionary<string, string> settings)
    {
        DataDir = dataDir;
        _ownedDir = ownedDir;
        _settings = settings;
    }

    public string DataDir { get; }

    public int Port { get; private set; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");

    public RedisServer? Redis => _ownedRedis;

    public string Output => _log.Text;

    /// <summary>The running application's services (its store, options, metrics), for tests that look inside.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the server is stopped");

    /// <summary>
    /// Starts a server; <paramref name="settings"/> are <c>NoteSync__X</c>-style keys (as a process's
    /// environment), <paramref name="port"/> the port of a server stopped before (0: a fresh one).
    /// </summary>
    public static async Task<InProcessServer> StartAsync(IReadOnlyDictionary<string, string>? settings = null, string? dataDir = null, int port = 0)
    {
        var owned = dataDir is null ? new TempDirectory() : null;
        var server = new InProcessServer(dataDir ?? owned!.Path, owned, settings ?? new Dictionary<string, string>());
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
    public static Task<InProcessServer> StartOnStoreAsync(string store, IReadOnlyDictionary<string, string>? settings = null) =>
        TestStores.StartServerAsync(store, settings, s => StartAsync(s), (server, redis) => server._ownedRedis = redis);

    public async Task StopAsync()
    {
        if (_app is not { } app)
        {
            return;
        }

        _app = null;
        try
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await app.StopAsync(timeout.Token);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    public Task StartAgainAsync() => _app is null
        ? LaunchAsync(Port)
        : throw new InvalidOperationException("the server still runs");

    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync(Port);
    }

    private async Task LaunchAsync(int port)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["NoteSync:DataDir"] = DataDir,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in _settings)
        {
            // The environment-variable spelling of a key, as a process is given it.
            configuration[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        string[] args =
        [
            "--environment", "Production",

            // A file watcher per host on appsettings.json: dozens of servers in one process would use up
            // the user's inotify instances, and nothing here edits the file.
            "--hostBuilder:reloadConfigOnChange=false",
        ];
        var app = NoteSyncApp.Create(args, builder =>
        {
            // Last, so these win over appsettings.json and the test process's own environment.
            builder.Configuration.AddInMemoryCollection(configuration);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(_log);
        });
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            await app.StartAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException($"the server did not start: {ex.Message}\n{Output}", ex);
        }

        _app = app;
        Port = new Uri(app.Urls.Single()).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _ownedDir?.Dispose();
            if (_ownedRedis is not null)
            {
                await _ownedRedis.DisposeAsync();
            }
        }
    }
}
