using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// One <see cref="NoteSyncClient.SyncNowAsync"/> of a started client for a one-shot command, failing at once with
/// <see cref="ExitCodes.Unreachable"/> when the server cannot be reached (the library would wait through the outage),
/// or a refused token.
/// </summary>
internal static class ServerRound
{
    public static async Task RunAsync(FolderSession session, CancellationToken cancellationToken)
    {
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStatus(object? sender, ConnectionStatus s)
        {
            if (s.State == ConnectionState.Offline && s.LastError is { } error)
            {
                failed.TrySetException(new CliException(ExitCodes.Unreachable, $"server unreachable ({session.Config.Server}): {error}"));
            }
            else if (s.State == ConnectionState.Unauthorized)
            {
                failed.TrySetException(new TokenRefusedException());
            }
        }

        session.Client.StatusChanged += OnStatus;
        try
        {
            await await Task.WhenAny(session.Client.SyncNowAsync(cancellationToken), failed.Task);
        }
        finally
        {
            session.Client.StatusChanged -= OnStatus;
        }
    }
}
