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
        Token = settings.Token;
    }

    public FolderLayout Layout { get; }

    public FolderConfig Config { get; }

    public NoteSyncClient Client { get; }

    public FileIndex Index { get; }

    public CliOutput Output { get; }

    public FolderSync Sync { get; }

    /// <summary>The token given (never stored), or null.</summary>
    public string? Token { get; }

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
            var saved = FolderConfig.Load(layout);
            var config = Merge(layout, saved, settings, needServer);
            var output = new CliOutput(settings.Verbose);
            if (settings.Device is null && saved.Device is null)
            {
                output.Notice($"no --device given: this folder syncs as '{config.Device}', the host name (remembered for this folder)");
            }

            var elsewhere = Elsewhere(saved, config);
            var index = new FileIndex(layout.IndexPath);
            NoteSyncClient client;
            try
            {
                if (elsewhere is not null)
                {
                    output.Notice($"{layout.Root} synced with {elsewhere}: its record of what was synced does not hold there, so the folder and the space are brought together: what the space lacks goes up, what the folder lacks comes down, a note that differs keeps both versions (a conflict copy)");

                    // The index first: a store emptied under an index that still says "synced" would make
                    // the files look deleted elsewhere. The config last: until it names the new pairing, a
                    // run that stopped half-way starts over.
                    index.ForgetAll();
                    if (Directory.Exists(layout.DataDir))
                    {
                        Directory.Delete(layout.DataDir, recursive: true);
                    }
                }

                client = new NoteSyncClient(
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
            }
            catch
            {
                index.Dispose();
                throw;
            }

            try
            {
                if (config != saved)
                {
                    config.Save(layout);
                }

                var session = new FolderSession(layout, folderLock, config, client, index, output, settings);
                if (index.CopiesAreNew && elsewhere is null)
                {
                    session.Sync.AdoptEarlierCopies();
                }

                return session;
            }
            catch
            {
                client.DisposeAsync().AsTask().GetAwaiter().GetResult();
                index.Dispose();
                throw;
            }
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What the folder synced with, in words, when <paramref name="config"/> points it elsewhere: another
    /// server address, or another space (a token for another space, or one where none was used). Null when
    /// it is the same, or the folder never synced, or the space it synced with is unknown (an older notesync
    /// wrote the config; the server's epoch still tells another history).
    /// </summary>
    private static string? Elsewhere(FolderConfig saved, FolderConfig config)
    {
        if (saved.Server is not { } before || config.Server is not { } now)
        {
            return null;
        }

        if (!FolderConfig.SameServer(before, now))
        {
            return $"another server ({before}) until now";
        }

        return saved.Space is { } was && config.Space is { } space && was != space
            ? $"another space until now ({TokenSpace.Describe(was)}, now {TokenSpace.Describe(space)})"
            : null;
    }

    private static FolderConfig Merge(FolderLayout layout, FolderConfig saved, ConnectionSettings settings, bool needServer)
    {
        if (settings.Device is { } device && saved.Device is { } savedDevice && device != savedDevice)
        {
            throw new CliException(ExitCodes.Usage, $"{layout.Root} syncs as device '{savedDevice}', not '{device}' (its queued writes belong to that device)");
        }

        // Only a command that talks to the server knows the space it syncs with now: the one of its token.
        var given = needServer ? TokenSpace.Of(settings.Token) : null;
        var address = settings.Server ?? saved.Server;
        if (given == "" && saved.Space is { Length: > 0 } bound && saved.Server is { } was && address is { } now && FolderConfig.SameServer(was, now) && !settings.JoinSpace)
        {
            // No token where one was used is a forgotten token far more often than auth turned off, and
            // joining the other space would make every note that differs a conflict: asked, not guessed.
            throw new CliException(
                ExitCodes.TokenMissing,
                $"{layout.Root} syncs with space '{bound}' on {was}, and no token was given: pass that space's token (--token or ${Commands.ConnectionOptions.TokenVariable}). "
                + "If the server now runs with auth off and this folder is to join its space instead, pass --join-space (the folder and that space are then brought together: what either lacks is copied, a note that differs keeps both versions)");
        }

        var space = given ?? saved.Space;
        var merged = new FolderConfig(address, settings.Device ?? saved.Device ?? HostDevice.OfThisMachine(), space);
        if (merged.Device is null)
        {
            throw new CliException(ExitCodes.Usage, $"no device id, and the host name '{Environment.MachineName}' cannot be one: give --device <id> (remembered for this folder afterwards)");
        }

        if (DeviceIds.CheckOwn(merged.Device) is { } deviceError)
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

        return merged;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        Index.Dispose();
        _lock.Dispose();
    }
}
