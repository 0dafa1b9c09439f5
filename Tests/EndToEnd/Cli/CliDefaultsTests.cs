using System.Reflection;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// What a new user gets without asking: the device named after the machine (a folder that has an id keeps
/// it), <c>--version</c> printing the tool's version, and numbers printed the same whatever the locale.
/// </summary>
public sealed class CliDefaultsTests
{
    [Fact]
    public async Task WithoutDeviceTheFolderSyncsAsTheHostNameAndAFolderWithAnIdKeepsIt()
    {
        // Arrange: a new folder, and one that synced as "laptop" before.
        await using var server = await InProcessServer.StartAsync();
        using var fresh = new TempDirectory();
        using var known = new TempDirectory();
        CliKit.WriteNote(fresh.Path, "a.md", "from the fresh folder");
        var before = await CliProcess.RunAsync(CliKit.OneShot("push", known.Path, server, "laptop"));
        Assert.True(before.Exit == 0, before.Stderr);
        CliKit.WriteNote(known.Path, "b.md", "from the known folder");

        // Act: both pushed with no --device.
        string[] NoDevice(string folder) => ["push", folder, "--server", server.BaseUri.ToString()];
        var first = await CliProcess.RunAsync(NoDevice(fresh.Path));
        var second = await CliProcess.RunAsync(NoDevice(known.Path));

        // Assert: the fresh folder took the host name, said so and remembered it; the known one stayed "laptop".
        var host = Environment.MachineName;
        Assert.True(first.Exit == 0, first.Stderr);
        Assert.Contains($"syncs as '{host}', the host name", first.Stderr, StringComparison.Ordinal);
        Assert.Contains($"\"device\": \"{host}\"", File.ReadAllText(Path.Combine(fresh.Path, ".notesync", "config.json")), StringComparison.Ordinal);
        Assert.True(second.Exit == 0, second.Stderr);
        Assert.DoesNotContain("host name", second.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"device\": \"laptop\"", File.ReadAllText(Path.Combine(known.Path, ".notesync", "config.json")), StringComparison.Ordinal);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(host, observer.StateOf("note:a.md")!.Winner.DeviceId);
        Assert.Equal("laptop", observer.StateOf("note:b.md")!.Winner.DeviceId);
    }

    [Fact]
    public async Task VersionPrintsThePackagesVersionAlone()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["--version"]);

        // The tool package's version (what `dotnet tool list` shows), without the commit the SDK appends.
        var assembly = typeof(NoteSync.Cli.ExitCodes).Assembly;
        var version = assembly.GetName().Version!;
        Assert.True(exit == 0, stderr);
        Assert.Equal($"{version.Major}.{version.Minor}.{version.Build}", stdout.Trim());
        Assert.Equal(stdout.Trim(), assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion);
    }

    [Fact]
    public async Task NumbersArePrintedTheSameUnderAGermanLocale()
    {
        // Arrange: a synced folder with 1,000 new notes, so the outbox count has a thousands separator.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        var first = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop"));
        Assert.True(first.Exit == 0, first.Stderr);
        for (var i = 0; i < 1000; i++)
        {
            CliKit.WriteNote(folder.Path, $"n/{i:D4}.md", $"note {i}");
        }

        // Act: status where the locale writes 1.000 for a thousand.
        var german = new Dictionary<string, string> { ["LANG"] = "de_DE.UTF-8", ["LC_ALL"] = "de_DE.UTF-8", ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "0" };
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["status", folder.Path], german);

        // Assert
        Assert.True(exit == 0, stderr);
        Assert.Contains("outbox:     1,000", stdout, StringComparison.Ordinal);
    }
}
