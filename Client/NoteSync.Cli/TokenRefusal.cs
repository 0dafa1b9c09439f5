namespace NoteSync.Cli;

/// <summary>
/// A 401, in words that fit what was sent: a refused token, or no token at all to a server with auth on
/// (a person who gave none must not be told to check one).
/// </summary>
internal static class TokenRefusal
{
    public static CliException For(string? token) => new(
        ExitCodes.AuthRefused,
        token is null
            ? $"the server needs a token (its auth is on) and none was given: pass --token <jwt> or set {Commands.ConnectionOptions.TokenVariable}"
            : $"the server refused the token (401): check --token or {Commands.ConnectionOptions.TokenVariable}");
}
