using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// One way of sending a push and getting its answer: the hub (<see cref="HubTransport"/>, with live
/// pushes) or <c>POST /sync</c> (<see cref="PollingTransport"/>). A refusal is thrown as
/// <see cref="ServerRefusal"/> classifies it, from the server's error code; a lost connection as the
/// transport's own exception. Each also answers the history requests (<see cref="IHistoryRequests"/>).
/// </summary>
internal interface ISyncTransport : IHistoryRequests, IAsyncDisposable
{
    /// <summary>What <see cref="ConnectionStatus.Transport"/> shows while this one is in use.</summary>
    SyncTransport Kind { get; }

    /// <summary>False once the connection closed; the loop then drops it and connects again.</summary>
    bool IsOpen { get; }

    /// <summary>Sends <paramref name="push"/> and returns its answer.</summary>
    Task<SyncAck> PushAsync(SyncPush push, CancellationToken cancellationToken);
}
