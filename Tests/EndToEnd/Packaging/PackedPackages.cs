using System.Reflection;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Packaging;

/// <summary>
/// The repository's packages (NoteSync.Shared, NoteSync.Client, the notesync tool) packed once for the class from
/// the build the tests run on, into a folder feed, beside a <c>nuget.config</c> that every project and tool install
/// under <see cref="Root"/> picks up.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime, IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    // A restore from the registry on a busy two-core machine; a pack without build takes seconds.
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    private readonly TempDirectory _root = new();

    /// <summary>The version the repository builds (Directory.Build.props), as the tool prints it.</summary>
    public static string BuiltVersion { get; } =
        typeof(NoteSync.Cli.ExitCodes).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    // Packed packages go through a package cache on their way into a project. A package of the same id and version
    // is never extracted twice into one cache, so a 1.0.0 packed again with other code would silently be the old
    // one: each class run packs a version of its own, and restores into a private cache (deleted with the folder)
    // that falls back on the machine's for the registry's packages (SignalR, SQLite), so nothing is downloaded
    // twice and the machine's cache gets none of these throwaway versions.
    public string Version { get; } = $"{BuiltVersion}-test.{Guid.NewGuid():N}";

    public string Root => _root.Path;

    public string Feed => Path.Combine(Root, "feed");

    /// <summary>For every .NET SDK command of these tests: the cache <c>nuget.config</c> names, not the caller's.</summary>
    public static IReadOnlyDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>
    {
        ["NUGET_PACKAGES"] = null,
        ["NOTESYNC_TOKEN"] = null,
        ["NOTESYNC_URL"] = null,
    };

    public async Task InitializeAsync()
    {
        var machineCache = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(Root, "packages")}" />
              </config>
              <fallbackPackageFolders>
                <add key="machine" value="{machineCache}" />
              </fallbackPackageFolders>
            </configuration>
            """);

        // The projects made here are an application's, not the repository's: no build settings or central
        // package versions from a folder above may reach them.
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(Root, name), "<Project />\n");
        }

        // --no-build: the packages hold the binaries this test run built and runs (the test project builds
        // NoteSync.Client's net8.0 too), and the repository's bin/ and obj/ are left as they are.
        var pack = await ChildCommand.RunAsync(
            "dotnet",
            ["pack", Path.Combine(RepositoryFiles.Root(), "NoteSync.sln"), "-c", Configuration, "--no-build", "--no-restore",
             "-o", Feed, $"-p:Version={Version}", $"-p:NuspecOutputPath={Path.Combine(Root, "nuspec")}{Path.DirectorySeparatorChar}"],
            RepositoryFiles.Root(),
            CommandTimeout,
            Environment);
        Assert.True(pack.ExitCode == 0, pack.ToString());
        foreach (var id in new[] { "NoteSync.Shared", "NoteSync.Client", "NoteSync.Cli" })
        {
            Assert.True(File.Exists(Path.Combine(Feed, $"{id}.{Version}.nupkg")), $"{id} was not packed:\n{pack}");
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _root.Dispose();
}
