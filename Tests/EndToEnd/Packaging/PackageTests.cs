using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Packaging;

/// <summary>
/// The packages as a new user gets them (docs/client.md, "Referencing the package"; README.md): NoteSync.Client
/// added with <c>dotnet add package --source</c> to a new project that runs the README's example against a real
/// server, and the notesync tool installed with <c>dotnet tool install</c> syncing a folder with the same server.
/// Only the net10.0 runtime is installed here: the net8.0 build of the library is compiled against, not run.
/// </summary>
public sealed class PackageTests(PackedPackages packages) : IClassFixture<PackedPackages>
{
    private const string ExampleStart = "```csharp\nusing NoteSync.Client;";

    [Fact]
    public async Task TheReadmeExampleBuiltOnTheLibraryPackageSyncsANoteBetweenTwoDevices()
    {
        // Arrange: a server, and a new console project for net10.0 and net8.0 whose Program.cs is the README's example.
        await using var server = await InProcessServer.StartAsync();
        var example = ReadmeExample();
        var project = Directory.CreateDirectory(Path.Combine(packages.Root, "example")).FullName;
        File.WriteAllText(Path.Combine(project, "example.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFrameworks>net10.0;net8.0</TargetFrameworks>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <!-- Run as `dotnet example.dll`: no apphost, which net8.0 would download. -->
                <UseAppHost>false</UseAppHost>
                <!-- An advisory published later about a dependency must not fail this test; the repository's own restore audits them. -->
                <NuGetAudit>false</NuGetAudit>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), example);
        var dataHome = Path.Combine(packages.Root, "example-data");

        // Act: the documented reference, a build, a run.
        var add = await DotnetAsync(project, "add", "package", "NoteSync.Client", "--version", packages.Version, "--source", packages.Feed);
        Assert.True(add.ExitCode == 0, add.ToString());
        var build = await DotnetAsync(project, "build", "-c", "Release");
        Assert.True(build.ExitCode == 0, build.ToString());
        var run = await ChildCommand.RunAsync(
            "dotnet",
            [Path.Combine(project, "bin", "Release", "net10.0", "example.dll"), server.BaseUri.ToString()],
            project,
            PackedPackages.CommandTimeout,
            new Dictionary<string, string?>(PackedPackages.Environment) { ["XDG_DATA_HOME"] = dataHome });

        // Assert: the phone printed the laptop's note, which the server holds; each framework built against its own
        // asset of the package, and the example kept its devices' stores where it said.
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("buy milk", run.Stdout.Trim());
        var notes = await ServerNotes.ReadAsync(server);
        Assert.Equal("buy milk", notes.GetValueOrDefault("note:inbox/todo.md"));
        var assets = File.ReadAllText(Path.Combine(project, "obj", "project.assets.json"));
        Assert.Contains("lib/net10.0/NoteSync.Client.dll", assets, StringComparison.Ordinal);
        Assert.Contains("lib/net8.0/NoteSync.Client.dll", assets, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(project, "bin", "Release", "net8.0", "example.dll")), build.ToString());
        Assert.True(File.Exists(Path.Combine(dataHome, "notesync-example", "laptop", "notesync.db")), run.ToString());
        Assert.True(File.Exists(Path.Combine(dataHome, "notesync-example", "phone", "notesync.db")), run.ToString());
    }

    [Fact]
    public async Task TheToolPackageInstalledWithToolPathPrintsItsVersionAndSyncsAFolderOnce()
    {
        // Arrange: a server holding one note, and a folder holding another.
        await using var server = await InProcessServer.StartAsync();
        await using (var web = HttpDevice.Create(server, "web"))
        {
            await web.PutAsync("note:from-web.md", "written in the page");
        }

        var folder = Directory.CreateDirectory(Path.Combine(packages.Root, "notes")).FullName;
        File.WriteAllText(Path.Combine(folder, "hello.md"), "written in the folder");
        var tools = Path.Combine(packages.Root, "tools");

        // Act: the install, then the tool as a user runs it.
        var install = await DotnetAsync(packages.Root, "tool", "install", "--tool-path", tools, "NoteSync.Cli", "--version", packages.Version, "--add-source", packages.Feed);
        Assert.True(install.ExitCode == 0, install.ToString());
        var notesync = Path.Combine(tools, "notesync");
        var version = await ChildCommand.RunAsync(notesync, ["--version"], packages.Root, PackedPackages.CommandTimeout, PackedPackages.Environment);
        var sync = await ChildCommand.RunAsync(
            notesync,
            ["sync", folder, "--once", "--server", server.BaseUri.ToString(), "--device", "packaged-tool"],
            packages.Root,
            PackedPackages.CommandTimeout,
            PackedPackages.Environment);

        // Assert: the command is named notesync and prints the repository's version; one round went both ways.
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.Equal(PackedPackages.BuiltVersion, version.Stdout.Trim());
        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Contains("synced once: 1 changed files pushed, 1 writes acknowledged, 1 files written", sync.Stdout, StringComparison.Ordinal);
        Assert.Equal("written in the page", File.ReadAllText(Path.Combine(folder, "from-web.md")));
        var notes = await ServerNotes.ReadAsync(server);
        Assert.Equal("written in the folder", notes.GetValueOrDefault("note:hello.md"));
    }

    [Fact]
    public void TheDocsAndThePackageReadmeShowTheExampleTheTestCompiles()
    {
        var example = ReadmeExample();

        Assert.Contains(example, RepositoryFiles.Read("docs/client.md"), StringComparison.Ordinal);
        Assert.Contains(example, RepositoryFiles.Read("Client/NoteSync.Client/README.md"), StringComparison.Ordinal);
    }

    /// <summary>The README's one C# block that uses NoteSync.Client, without its fences.</summary>
    private static string ReadmeExample()
    {
        var readme = RepositoryFiles.Read("README.md").ReplaceLineEndings("\n");
        var start = readme.IndexOf(ExampleStart, StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no C# block starting with `using NoteSync.Client;`");
        Assert.Equal(-1, readme.IndexOf(ExampleStart, start + 1, StringComparison.Ordinal));
        var code = start + "```csharp\n".Length;
        return readme[code..(readme.IndexOf("\n```", code, StringComparison.Ordinal) + 1)];
    }

    private static Task<CommandResult> DotnetAsync(string workingDirectory, params string[] arguments) =>
        ChildCommand.RunAsync("dotnet", arguments, workingDirectory, PackedPackages.CommandTimeout, PackedPackages.Environment);
}
