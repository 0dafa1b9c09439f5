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

    /// <summary>
    /// Whether the client had a token to send (<see cref="NoteSyncClientOptions.Token"/> or
    /// <see cref="NoteSyncClientOptions.TokenProvider"/>). False: the server has auth on and the client
    /// was given no token, so there is no token to check, only one to give.
    /// </summary>
    public bool TokenGiven { get; private init; } = true;

    /// <summary>The refusal of a request whose 401 said <paramref name="detail"/>, worded by whether a token was sent.</summary>
    internal static TokenRefusedException Of(bool tokenGiven, string detail, Exception? innerException = null)
    {
        var message = tokenGiven
            ? $"the server refused the token ({detail})"
            : $"the server needs a token ({detail}) and the client was given none: set NoteSyncClientOptions.Token or TokenProvider";
        return innerException is null
            ? new TokenRefusedException(message) { TokenGiven = tokenGiven }
            : new TokenRefusedException(message, innerException) { TokenGiven = tokenGiven };
    }
}
