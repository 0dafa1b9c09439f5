namespace NoteSync.Client;

/// <summary>The server refused the client's token (HTTP 401): missing, malformed, wrongly signed or expired.</summary>
public sealed class TokenRefusedException : Exception
{
    /// <summary>A refusal with the default message.</summary>
    public TokenRefusedException()
        : base("the server refused the token (401)")
    {
    }

    /// <summary>A refusal with <paramref name="message"/>.</summary>
    public TokenRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>A refusal with <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public TokenRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
