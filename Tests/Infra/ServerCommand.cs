using System.Diagnostics;

namespace NoteSync.Tests.Infra;

/// <summary>Runs one of the server binary's commands (<c>token</c>, <c>backup</c>, <c>renew-epoch</c>) as a process, with only the given settings.</summary>
internal static class ServerCommand
{
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        using var workDir = new TempDirectory();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir.Path,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "NoteSync.Server.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The test runner's own NoteSync__ variables must not reach the command.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("NoteSync__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
