using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>Arguments and waits shared by the CLI tests.</summary>
internal static class CliKit
{
    /// <summary><c>sync &lt;folder&gt;</c> against <paramref name="server"/> with test-friendly retry timing.</summary>
    public static string[] Sync(string folder, ITestServer server, string device, params string[] extra) =>
        Sync(folder, server.BaseUri, device, extra);

    /// <summary><c>sync &lt;folder&gt;</c> against the server at <paramref name="server"/> (a proxy in front of it, say).</summary>
    public static string[] Sync(string folder, Uri server, string device, params string[] extra) =>
        ["sync", folder, "--server", server.ToString(), "--device", device, "--max-retry-ms", "500", .. extra];

    /// <summary>A one-shot (<c>push</c> or <c>pull</c>).</summary>
    public static string[] OneShot(string verb, string folder, ITestServer server, string device, params string[] extra) =>
        [verb, folder, "--server", server.BaseUri.ToString(), "--device", device, "--max-retry-ms", "500", .. extra];

    /// <summary>
    /// How long a new CLI may take to be online and through its first sync: a process start, the runtime's
    /// JIT and a first connection, which took over 30 s on the 2-core machine with the suite's other
    /// classes and other jobs' builds beside it. A bound on a wait, so a generous one costs nothing.
    /// </summary>
    public static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    /// <summary>Starts a live sync and waits until it is online.</summary>
    public static Task<CliProcess> StartSyncAsync(string folder, ITestServer server, string device, params string[] extra) =>
        StartSyncAsync(folder, server.BaseUri, device, extra);

    /// <summary>Starts a live sync against the server at <paramref name="server"/> and waits until it is online.</summary>
    public static async Task<CliProcess> StartSyncAsync(string folder, Uri server, string device, params string[] extra)
    {
        var cli = CliProcess.Start(Sync(folder, server, device, extra));
        try
        {
            await cli.WaitForStderrAsync("online (", StartLimit);
            await ClientKit.WaitUntilAsync(() => cli.Stdout.Contains("in sync:", StringComparison.Ordinal), "the first sync to finish", StartLimit);
            return cli;
        }
        catch
        {
            // The caller never gets the process to dispose: a failed start must not leave a sync running.
            await cli.DisposeAsync();
            throw;
        }
    }

    public static void WriteNote(string folder, string path, string content)
    {
        var full = Path.Combine(folder, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public static string? ReadNote(string folder, string path)
    {
        try
        {
            return File.ReadAllText(Path.Combine(folder, path));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    public static Task WaitForFileAsync(string folder, string path, string? content, TimeSpan? timeout = null) =>
        ClientKit.WaitUntilAsync(() => ReadNote(folder, path) == content, $"{path} = {content ?? "(gone)"} in {folder}", timeout);

    /// <summary>
    /// The note files of <paramref name="folder"/> (relative, with /), conflict copies included, state and
    /// temp files not. A file a running sync deletes between the listing and its read is left out.
    /// </summary>
    public static SortedDictionary<string, string> Files(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !f.Split('/').Any(s => s.StartsWith('.'))))
        {
            if (ReadNote(folder, path) is { } content)
            {
                files[path] = content;
            }
        }

        return files;
    }
}
