namespace NoteSync.Server.Stores;

/// <summary>
/// A push was refused because the store's disk is full; nothing of it was applied, and the same push
/// will be accepted once there is room again. Not an <see cref="InvalidOperationException"/>: the push
/// is fine, the server is not.
/// </summary>
internal sealed class StorageFullException : IOException
{
    public StorageFullException()
        : base("the store's disk is full; nothing of the push was applied")
    {
    }

    public StorageFullException(string message)
        : base(message)
    {
    }

    public StorageFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Wraps the store's own report of the full disk.</summary>
    public StorageFullException(Exception innerException)
        : base("the store's disk is full; nothing of the push was applied", innerException)
    {
    }
}
