namespace NoteSync.Client;

/// <summary>
/// A request that needs the server (the history, a version, the trash) could not be answered: the server
/// could not be reached, did not answer within <see cref="NoteSyncClientOptions.RequestTimeout"/>, or said it is
/// unavailable (or kept refusing the request as rate limited). Nothing changed; try again once online.
/// </summary>
public sealed class ServerUnreachableException : Exception
{
    /// <summary>An exception with the default message.</summary>
    public ServerUnreachableException()
        : base("the server could not be reached")
    {
    }

    /// <summary>An exception with <paramref name="message"/>.</summary>
    public ServerUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public ServerUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
