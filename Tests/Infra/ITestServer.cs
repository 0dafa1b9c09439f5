namespace NoteSync.Tests.Infra;

/// <summary>
/// A running NoteSync server as the tests' devices see it: an address on 127.0.0.1, a data directory,
/// its log. <see cref="InProcessServer"/> hosts it in the test process (the functional tier);
/// <see cref="ServerProcess"/> spawns it (for what needs a process boundary: kill -9, signals, exit codes,
/// the process's own memory and GC settings).
/// </summary>
internal interface ITestServer : IAsyncDisposable
{
    string DataDir { get; }

    int Port { get; }

    Uri BaseUri { get; }

    /// <summary>The redis-server this server was started on by <c>StartOnStoreAsync</c>, or null.</summary>
    RedisServer? Redis { get; }

    /// <summary>What the server logged so far (for failure messages, and the tests that read its log).</summary>
    string Output { get; }

    /// <summary>An orderly stop: the host shuts down and the store closes.</summary>
    Task StopAsync();

    /// <summary>Starts the server again on the same data directory and port, after <see cref="StopAsync"/>.</summary>
    Task StartAgainAsync();

    /// <summary>Stops the server (an orderly stop in process, a kill for a process) and starts it again on the same data directory and port.</summary>
    Task RestartAsync();
}
