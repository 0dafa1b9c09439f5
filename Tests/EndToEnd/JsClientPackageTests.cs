using System.Text.Json;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// The JavaScript client package (<c>clients/js</c>, <c>@notesync/client</c>) as a developer gets it:
/// <c>npm pack</c>, installed from the tarball into a throwaway project, imported by its name from an ES
/// module run by Node.js, syncing over <c>/ws/sync</c> with a real server on loopback; its types checked by
/// <c>tsc</c>; and the page served the same files. A machine without Node.js and npm fails these tests
/// with the command that installs them (./test.sh does), as the Redis and browser tests do: none skips.
/// </summary>
public sealed class JsClientPackageTests
{
    // Bounds on waits: an offline npm install takes a second or two, one from the registry (TypeScript) longer.
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    private static readonly string PackageDir = Path.Combine(RepositoryFiles.Root(), "clients", "js");

    [Fact]
    public async Task TheInstalledPackageSyncsTwoNodeClientsOverTheWebSocket()
    {
        // Arrange: a server, and the packed package installed into an empty project.
        await using var server = await InProcessServer.StartAsync();
        using var temp = new TempDirectory();
        var node = await NodeAsync();
        var app = await InstallPackageAsync(temp.Path);
        if (node.Flags is null)
        {
            // A Node.js without a WebSocket client (Debian 12's is 18.19): the package takes one as an option.
            await NpmAsync(app, "install", "undici@6", "--no-audit", "--no-fund", "--cache", Path.Combine(temp.Path, "npm-cache"));
        }

        File.WriteAllText(Path.Combine(app, "sync.mjs"), SyncScript);

        // Act: two clients of the package, each its own device: one writes, the other sees it and edits it.
        var (exit, stdout, stderr) = await RunAsync("node", [.. node.Flags ?? [], "sync.mjs", server.BaseUri.ToString().TrimEnd('/')], app, ScriptTimeout);

        // Assert: each saw the other's write, over WebSocket connections; the key rule came with the package;
        // the server holds the edit as any device reads it.
        Assert.True(exit == 0, $"exit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        using var result = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var root = result.RootElement;
        Assert.Equal("written in Node", root.GetProperty("bSaw").GetString());
        Assert.Equal("edited by b", root.GetProperty("aSaw").GetString());
        Assert.Equal(["websocket", "websocket"], root.GetProperty("transports").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(0, root.GetProperty("conflicts").GetArrayLength());
        Assert.Equal(["note:from-node.md"], root.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal("must not contain U+0007 (a control character)", root.GetProperty("refused").GetString());
        var held = await ServerNotes.ReadAsync(server);
        Assert.Equal("edited by b", held["note:from-node.md"]);
    }

    [Fact]
    public async Task TheTypesCheckUnderTscAndCatchAMisuse()
    {
        // Arrange: the package and TypeScript (from the npm registry: the package itself has no dependencies).
        using var temp = new TempDirectory();
        await NodeAsync();
        var app = await InstallPackageAsync(temp.Path);
        await NpmAsync(app, "install", "typescript@5", "--no-audit", "--no-fund", "--cache", Path.Combine(temp.Path, "npm-cache"));
        File.WriteAllText(Path.Combine(app, "tsconfig.json"), TsConfig);
        File.WriteAllText(Path.Combine(app, "uses.ts"), TypedUse);
        var tsc = Path.Combine(app, "node_modules", "typescript", "bin", "tsc");

        // Act: the documented use, then the same with a number for the text.
        var (good, goodOut, goodErr) = await RunAsync("node", [tsc, "-p", "."], app, NpmTimeout);
        File.WriteAllText(Path.Combine(app, "misuse.ts"), "import { NoteSyncClient } from \"@notesync/client\";\nexport const misuse = (c: NoteSyncClient) => c.put(\"note:a.md\", 42);\n");
        var (bad, badOut, _) = await RunAsync("node", [tsc, "-p", "."], app, NpmTimeout);

        // Assert: the use checks clean; the misuse is an error at its argument (TS2345), so the types are read.
        Assert.True(good == 0, $"tsc exit {good}:\n{goodOut}\n{goodErr}");
        Assert.NotEqual(0, bad);
        Assert.Contains("misuse.ts(2,", badOut, StringComparison.Ordinal);
        Assert.Contains("TS2345", badOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePageIsServedThePackageSourceAndThePackageHasNoDependencies()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TestDevice.DefaultTimeout };
        var sources = Directory.GetFiles(Path.Combine(PackageDir, "src"), "*.js");
        using var package = JsonDocument.Parse(File.ReadAllText(Path.Combine(PackageDir, "package.json")));

        // Act
        var served = new Dictionary<string, string>();
        foreach (var source in sources)
        {
            served[source] = await http.GetStringAsync($"js/notesync/{Path.GetFileName(source)}");
        }

        // Assert: every module of the package, byte for byte, at the path the page imports; nothing to install with it.
        Assert.Contains(sources, s => s.EndsWith("protocol.js", StringComparison.Ordinal));
        foreach (var (source, text) in served)
        {
            Assert.True(File.ReadAllText(source) == text, $"{source} is served changed");
        }

        Assert.Contains("from \"./js/notesync/protocol.js\"", RepositoryFiles.Read("Server/wwwroot/app.js"), StringComparison.Ordinal);
        var root = package.RootElement;
        Assert.Equal("module", root.GetProperty("type").GetString());
        Assert.Equal("./index.d.ts", root.GetProperty("exports").GetProperty(".").GetProperty("types").GetString());
        Assert.False(root.TryGetProperty("dependencies", out _), "the package must have no dependencies");
    }

    // The package packed as npm publishes it, installed from the tarball into a new project: no registry is
    // asked (it has no dependencies). Returns the project's directory.
    private static async Task<string> InstallPackageAsync(string temp)
    {
        var packDir = Directory.CreateDirectory(Path.Combine(temp, "pack")).FullName;
        var app = Directory.CreateDirectory(Path.Combine(temp, "app")).FullName;
        var cache = Path.Combine(temp, "npm-cache");
        await NpmAsync(temp, "pack", PackageDir, "--pack-destination", packDir, "--cache", cache);
        var tarball = Assert.Single(Directory.GetFiles(packDir, "*.tgz"));
        File.WriteAllText(Path.Combine(app, "package.json"), """{"name":"try-notesync","private":true,"type":"module"}""");
        await NpmAsync(app, "install", tarball, "--offline", "--no-audit", "--no-fund", "--cache", cache);
        Assert.True(File.Exists(Path.Combine(app, "node_modules", "@notesync", "client", "src", "protocol.js")), "the package did not install");
        return app;
    }

    private static async Task NpmAsync(string workingDirectory, params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync("npm", args, workingDirectory, NpmTimeout);
        Assert.True(exit == 0, $"npm {string.Join(' ', args)}: exit {exit}\n{stdout}\n{stderr}");
    }

    /// <summary>
    /// Node.js, and the flags that give it a WebSocket: none from Node.js 22 on, <c>--experimental-websocket</c>
    /// on 20.10 to 21, null for an older one (a WebSocket class from a package is passed instead). A machine
    /// without Node.js or npm fails here, saying what to install.
    /// </summary>
    private static async Task<(string Version, string[]? Flags)> NodeAsync()
    {
        const string Install = "the JavaScript package tests need Node.js and npm; ./test.sh installs them (or: apt-get install -y nodejs npm)";
        string version;
        try
        {
            (_, version, _) = await RunAsync("node", ["--version"], Path.GetTempPath(), ScriptTimeout);
            await RunAsync("npm", ["--version"], Path.GetTempPath(), NpmTimeout);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{Install} ({e.Message})", e);
        }

        foreach (var flags in new[] { Array.Empty<string>(), ["--experimental-websocket"] })
        {
            var (exit, stdout, _) = await RunAsync("node", [.. flags, "-e", "process.stdout.write(typeof WebSocket)"], Path.GetTempPath(), ScriptTimeout);
            if (exit == 0 && stdout == "function")
            {
                return (version.Trim(), flags);
            }
        }

        return (version.Trim(), null);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        // npm would otherwise look for updates of itself and write logs under the home directory.
        var result = await ChildCommand.RunAsync(file, args, workingDirectory, timeout, new Dictionary<string, string?>
        {
            ["npm_config_update_notifier"] = "false",
            ["npm_config_logs_dir"] = Path.Combine(workingDirectory, ".npm-logs"),
        });
        return (result.ExitCode, result.Stdout, result.Stderr);
    }

    // Two devices of the package in one process; each wait is on a condition the clients' callbacks check,
    // bounded by one deadline that reports where each client stood.
    private const string SyncScript = """
        import { keyProblem, NoteSyncClient } from "@notesync/client";

        const baseUrl = process.argv[2];
        // Node.js 22 has a WebSocket, 20.10 with a flag; an older one gets undici's (the test installs it).
        const WebSocket = globalThis.WebSocket ?? (await import("undici")).WebSocket;
        const a = new NoteSyncClient({ baseUrl, deviceId: "node-a", WebSocket });
        const b = new NoteSyncClient({ baseUrl, deviceId: "node-b", WebSocket });
        const deadline = setTimeout(() => {
          console.log(JSON.stringify({ error: "timed out", a: [a.status, a.keys()], b: [b.status, b.keys()] }));
          process.exit(2);
        }, 30_000);

        const sees = (client, key, text) => new Promise(resolve => {
          const check = () => { if (client.get(key) === text) resolve(client.get(key)); };
          client.onchanges = check;
          check();
        });

        const key = "note:from-node.md";
        a.start();
        b.start();
        const bSees = sees(b, key, "written in Node");
        a.put(key, "written in Node");
        const bSaw = await bSees;
        const aSees = sees(a, key, "edited by b");
        b.put(key, "edited by b");
        const aSaw = await aSees;
        await b.flushed();
        const result = {
          bSaw, aSaw, transports: [a.sync.transport, b.sync.transport], conflicts: a.conflicts(key), keys: a.keys(),
          refused: keyProblem("note:bell\u0007.md"),
        };
        a.stop();
        b.stop();
        clearTimeout(deadline);
        console.log(JSON.stringify(result));
        """;

    private const string TsConfig = """
        {"compilerOptions":{"strict":true,"noEmit":true,"module":"nodenext","moduleResolution":"nodenext","target":"es2022","types":[]},
         "include":["*.ts"]}
        """;

    // The README's use, typed: the options (with a WebSocket class), callbacks, notes, the frames' types.
    private const string TypedUse = """
        import { keyProblem, MemoryReplica, NoteSyncClient, SyncClient, winner, type SyncAck, type SyncStatus } from "@notesync/client";

        declare const SomeWebSocket: new (url: string | URL) => WebSocket;
        const client = new NoteSyncClient({ baseUrl: "http://127.0.0.1:5000", deviceId: "laptop", WebSocket: SomeWebSocket, heartbeatMs: 10_000 });
        client.onchanges = (keys: string[]) => keys.forEach(k => client.get(k)?.toUpperCase());
        client.onstatus = (status: SyncStatus) => status === "connected";
        client.start();
        const write = client.put("note:todo.md", "- milk");
        const at: number = write.timestamp;
        const flushed: Promise<void> = client.flushed(5_000);
        const problem: string | null = keyProblem("note:x");
        const replica = new MemoryReplica("worker-1");
        const sync = new SyncClient({ baseUrl: "http://127.0.0.1:5000", deviceId: "worker-1" }, replica, null);
        const ack: SyncAck = { type: "sync_ack", ack_timestamp: 3, changes: [{ key: "note:a", value: "x", timestamp: 3, device_id: "d" }] };
        const changed: string[] = replica.applyAck(ack);
        const top = winner(replica.entries.get("note:a")!).value;
        export { at, flushed, problem, sync, changed, top };
        """;
}
