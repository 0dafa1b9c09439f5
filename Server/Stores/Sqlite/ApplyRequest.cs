namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// One <see cref="SqliteSyncStore.ApplyAsync"/> waiting for the writer. Whoever moves it out of
/// <c>Queued</c> first owns it: the writer (it will run and complete) or the caller's cancellation
/// (it is dropped unrun).
/// </summary>
internal sealed class ApplyRequest
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource<ApplyResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationToken _cancellationToken;
    private int _state;

    public ApplyRequest(string space, KeyedWrite[] writes, CancellationToken cancellationToken)
    {
        Space = space;
        Writes = writes;
        _cancellationToken = cancellationToken;
    }

    public string Space { get; }

    public KeyedWrite[] Writes { get; }

    public Task<ApplyResult> Task => _completion.Task;

    /// <summary>Claims the request for the writer; false when the caller cancelled it first.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    /// <summary>Drops the request if the writer has not taken it yet.</summary>
    public void TryCancel()
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
        {
            _completion.TrySetCanceled(_cancellationToken);
        }
    }

    public void Complete(ApplyResult result) => _completion.TrySetResult(result);

    public void Fail(Exception exception) => _completion.TrySetException(exception);
}
