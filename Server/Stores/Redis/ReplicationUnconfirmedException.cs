namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// A push reached the primary, but fewer than <c>NoteSync:Redis:MinReplicas</c> replicas confirmed it
/// in time (or the confirmation cannot be trusted). It must not be acknowledged: the sync service
/// answers <c>unavailable</c>, and the device re-sends it, which is harmless (the merge is idempotent).
/// </summary>
internal sealed class ReplicationUnconfirmedException : Exception
{
    public ReplicationUnconfirmedException()
    {
    }

    public ReplicationUnconfirmedException(string message)
        : base(message)
    {
    }

    public ReplicationUnconfirmedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
