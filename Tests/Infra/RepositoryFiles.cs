namespace NoteSync.Tests.Infra;

/// <summary>The repository the tests were built from, for tests that check its docs and deployment files.</summary>
internal static class RepositoryFiles
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NoteSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("NoteSync.sln not found above the test's directory");
    }

    /// <summary>The text of <paramref name="relativePath"/> (<c>/</c>-separated) under the root.</summary>
    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root(), relativePath));
}
