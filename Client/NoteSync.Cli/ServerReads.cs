using NoteSync.Client;
using NoteSync.Shared;

namespace NoteSync.Cli;

/// <summary>
/// The server's history, asked for a folder by <c>history</c> and <c>trash</c>, and what the library's history
/// calls throw, as exit codes. A read needs nothing of the folder's store, which a running sync holds (two
/// processes never open one store), so it goes through a client on a throwaway store, as the folder's device,
/// with plain HTTP GETs.
/// </summary>
internal static class ServerReads
{
    public static async Task<T> RunAsync<T>(FolderLayout layout, string? token, Func<NoteSyncClient, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var config = FolderConfig.Load(layout);
        if (config.Server is null || config.Device is null)
        {
            throw new CliException(ExitCodes.Usage, $"{layout.Root} has not synced with a server yet: run `notesync sync` or `push` first");
        }

        var store = Directory.CreateTempSubdirectory("notesync-read-");
        try
        {
            await using var client = new NoteSyncClient(
                new SyncConfig { DeviceId = config.Device, SyncEndpoint = new Uri(config.Server), EnableWebSocket = false },
                new NoteSyncClientOptions { DataDirectory = store.FullName, Token = token });
            try
            {
                return await Translate(() => read(client, cancellationToken), config.Server);
            }
            catch (TokenRefusedException) when (token is null)
            {
                throw TokenRefusal.For(token);
            }
        }
        finally
        {
            store.Delete(recursive: true);
        }
    }

    /// <summary>Runs a history call, its failures as <see cref="CliException"/>s (a refused token goes on to <see cref="CommandRunner"/>).</summary>
    public static async Task<T> Translate<T>(Func<Task<T>> call, string? server)
    {
        try
        {
            return await call();
        }
        catch (ServerUnreachableException ex)
        {
            throw new CliException(ExitCodes.Unreachable, $"server unreachable ({server}): {ex.Message}", ex);
        }
        catch (KeyNotFoundException ex)
        {
            throw new CliException(ExitCodes.Usage, ex.Message + " (see `notesync history` and `notesync trash`)", ex);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
        {
            throw new CliException(ExitCodes.Unreachable, ex.Message, ex);
        }
    }

    /// <summary>A server time as people read it here: local, ISO 8601 to the second.</summary>
    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The <c>--token</c> option of these commands, <c>$NOTESYNC_TOKEN</c> by default.</summary>
    public static System.CommandLine.Option<string?> TokenOption() => new("--token")
    {
        Description = $"The JWT when the server has auth on. Default: ${Commands.ConnectionOptions.TokenVariable}. Never stored.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(Commands.ConnectionOptions.TokenVariable) is { Length: > 0 } t ? t : null,
    };
}
