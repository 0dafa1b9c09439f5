using Microsoft.Extensions.Options;

namespace NoteSync.Server.Options;

/// <summary>The checks of <see cref="AuthOptions"/> that depend on one another (a key only matters when auth is on), and of <c>AllowedOrigins</c>, <c>PublicHosts</c> and <c>ForwardedHeaders:KnownProxies</c>.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<NoteSyncOptions>
{
    public ValidateOptionsResult Validate(string? name, NoteSyncOptions options)
    {
        var failures = Auth.OriginPolicy.Check(options).Concat(Auth.TrustedProxies.Check(options)).ToList();
        if (options.Auth.Enabled)
        {
            failures.AddRange(options.Auth.CheckSigningKeys());
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
