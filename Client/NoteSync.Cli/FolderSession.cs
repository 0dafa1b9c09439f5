using NoteSync.Client;
using NoteSync.Shared;
using NoteSync.Shared.Protocol;

namespace NoteSync.Cli;

/// <summary>
/// A folder opened by one command: the lock taken, the config read (and saved when new), the client's
/// store and the file index open. Disposing closes them in reverse order; the outbox stays on disk.
/// </summary>
internal sealed class FolderSession : IAsyncDisposable
{
    private readonly FolderLock _lock;

    private FolderSession(FolderLayout layout, FolderLock folderLock, FolderConfig config, NoteSyncClient client, FileIndex index, CliOutput output, ConnectionSettings settings)
    {
        Layout = layout;
        _lock = folderLock;
        Config = config;
        Client = client;
        Index = index;
        Output = output;
        Sync = new FolderSync(layout, client, index, config.Device!, settings.MaxNoteBytes, output);
    }

    public FolderLayout Layout { get; }

    public FolderConfig Config { get; }

    public NoteSyncClient Client { get; }

    public FileIndex Index { get; }

    public CliOutput Output { get; }

    public FolderSync Sync { get; }

    /// <summary>Opens <paramref name="folder"/>; <paramref name="needServer"/> when the command talks to the server; <paramref name="heldLock"/> when the caller took the lock already; <paramref name="create"/> to create a missing folder.</summary>
    public static FolderSession Open(string folder, ConnectionSettings settings, bool needServer, FolderLock? heldLock = null, bool create = false)
    {
        if (create && !Directory.Exists(folder) && !File.Exists(folder))
        {
            // A new machine's first `sync ~/Notes`: the folder is where the notes will land.
            Directory.CreateDirectory(folder);
        }

        if (!Directory.Exists(folder))
        {
            throw new CliException(ExitCodes.Usage, $"folder not found: {folder}");
        }

        var layout = new FolderLayout(folder);
        var folderLock = heldLock ?? FolderLock.Acquire(layout);
        try
        {
            var config = Merge(layout, settings, needServer);
            var output = new CliOutput(settings.Verbose);
            var client = new NoteSyncClient(
                new SyncConfig
                {
                    DeviceId = config.Device!,
                    SyncEndpoint = new Uri(config.Server ?? "http://localhost:5000"),
                    EnableWebSocket = !settings.Poll,
                    SyncIntervalMs = settings.IntervalMs,
                },
                new NoteSyncClientOptions
                {
                    DataDirectory = layout.DataDir,
                    Token = settings.Token,
                    HubPath = settings.HubPath,
                    MinReconnectDelay = TimeSpan.FromMilliseconds(Math.Min(500, settings.MaxRetryMs)),
                    MaxReconnectDelay = TimeSpan.FromMilliseconds(settings.MaxRetryMs),
                });
            try
            {
                var index = new FileIndex(layout.IndexPath);
                var session = new FolderSession(layout, folderLock, config, client, index, output, settings);
                if (index.CopiesAreNew)
                {
                    session.Sync.AdoptEarlierCopies();
                }

                return session;
            }
            catch
            {
                client.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw;
            }
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    private static FolderConfig Merge(FolderLayout layout, ConnectionSettings settings, bool needServer)
    {
        var saved = FolderConfig.Load(layout);
        if (settings.Device is { } device && saved.Device is { } savedDevice && device != savedDevice)
        {
            throw new CliException(ExitCodes.Usage, $"{layout.Root} syncs as device '{savedDevice}', not '{device}' (its queued writes belong to that device)");
        }

        var merged = new FolderConfig(settings.Server ?? saved.Server, settings.Device ?? saved.Device);
        if (merged.Device is null)
        {
            throw new CliException(ExitCodes.Usage, "no device id: give --device <id> (remembered for this folder afterwards)");
        }

        if (DeviceIds.Check(merged.Device) is { } deviceError)
        {
            throw new CliException(ExitCodes.Usage, $"--device: {deviceError}");
        }

        if (merged.Server is { } server && (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new CliException(ExitCodes.Usage, $"--server: '{server}' is not an http:// or https:// address");
        }

        if (needServer && merged.Server is null)
        {
            throw new CliException(ExitCodes.Usage, "no server: give --server <url> or set NOTESYNC_URL (remembered for this folder afterwards)");
        }

        if (merged != saved)
        {
            merged.Save(layout);
        }

        return merged;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        Index.Dispose();
        _lock.Dispose();
    }
}
