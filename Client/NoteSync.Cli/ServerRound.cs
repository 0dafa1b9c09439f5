using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// One <see cref="NoteSyncClient.SyncNowAsync"/> of a started client for a one-shot command, failing at once with
/// <see cref="ExitCodes.Unreachable"/> when the server cannot be reached or answers with an error (the library would
/// wait through the outage), or a refused token (<see cref="FailureOf"/>).
/// </summary>
internal static class ServerRound
{
    public static async Task RunAsync(FolderSession session, CancellationToken cancellationToken)
    {
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStatus(object? sender, ConnectionStatus s)
        {
            if (FailureOf(session, s) is { } failure)
            {
                failed.TrySetException(failure);
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

    /// <summary>
    /// What ends a one-shot command in <paramref name="status"/>, or null: the server out of reach, the server
    /// answering with an error (reached, so not called unreachable), or a 401.
    /// </summary>
    public static CliException? FailureOf(FolderSession session, ConnectionStatus status) => status switch
    {
        { State: ConnectionState.Offline, ServerFailed: true, LastError: { } error } =>
            new CliException(ExitCodes.Unreachable, $"the server ({session.Config.Server}) answered with an error: {error}; what is queued stays queued for the next run"),
        { State: ConnectionState.Offline, LastError: { } error } => new CliException(ExitCodes.Unreachable, $"server unreachable ({session.Config.Server}): {error}"),
        { State: ConnectionState.Unauthorized } => TokenRefusal.For(session.Token),
        _ => null,
    };
}
