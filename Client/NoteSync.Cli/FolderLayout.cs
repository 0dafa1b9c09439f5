namespace NoteSync.Cli;

/// <summary>
/// Where a synced folder keeps its own state: <c>&lt;folder&gt;/.notesync/</c>, never synced (a dot-folder).
/// <list type="bullet">
/// <item><c>db/notesync.db</c>: the client library's replica, clock, cursor and outbox.</item>
/// <item><c>index.db</c>: the file index (<see cref="FileIndex"/>).</item>
/// <item><c>config.json</c>: server and device the folder syncs with (<see cref="FolderConfig"/>); never the token.</item>
/// <item><c>lock</c>: held exclusively by the one process using the folder (<see cref="FolderLock"/>).</item>
/// <item><c>status.json</c>: the running <c>sync</c>'s live status, for <c>status</c> and <c>conflicts</c>.</item>
/// <item><c>requests/</c>: <c>resolve</c> requests handed to a running <c>sync</c> (<see cref="ResolveRequests"/>).</item>
/// </list>
/// </summary>
internal sealed class FolderLayout
{
    public FolderLayout(string root)
    {
        Root = Path.GetFullPath(root);
        StateDir = Path.Combine(Root, ".notesync");
    }

    public string Root { get; }

    public string StateDir { get; }

    public string DataDir => Path.Combine(StateDir, "db");

    public string IndexPath => Path.Combine(StateDir, "index.db");

    public string ConfigPath => Path.Combine(StateDir, "config.json");

    public string LockPath => Path.Combine(StateDir, "lock");

    public string StatusPath => Path.Combine(StateDir, "status.json");

    public string RequestsDir => Path.Combine(StateDir, "requests");

    public bool IsInitialized => Directory.Exists(StateDir);

    /// <summary>The synced folder holding <paramref name="path"/> (a file or folder): the nearest one with a <c>.notesync</c>.</summary>
    public static FolderLayout? Find(string path)
    {
        var dir = Directory.Exists(path) ? Path.GetFullPath(path) : Path.GetDirectoryName(Path.GetFullPath(path));
        for (; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(Path.Combine(dir, ".notesync")))
            {
                return new FolderLayout(dir);
            }
        }

        return null;
    }
}
