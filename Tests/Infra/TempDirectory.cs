namespace NoteSync.Tests.Infra;

/// <summary>A fresh directory under the system temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "notesync-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone: nothing left to clean.
        }
        catch (IOException)
        {
            // A file still open (a failed test leaking a handle) must not turn into a second failure.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
