using Microsoft.Extensions.Options;

namespace NoteSync.Server.Options;

/// <summary>The checks of <see cref="AuthOptions"/> that depend on one another (a key only matters when auth is on).</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<NoteSyncOptions>
{
    public ValidateOptionsResult Validate(string? name, NoteSyncOptions options)
    {
        if (!options.Auth.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = options.Auth.CheckSigningKeys().ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
