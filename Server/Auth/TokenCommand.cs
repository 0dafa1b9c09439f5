using System.CommandLine;
using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Auth;

/// <summary>
/// <c>NoteSync.Server token --space S [--device D] [--ttl 30d|12h|90m|3600s]</c>: prints one token, signed
/// with <c>NoteSync:Auth:SigningKey</c> from the server's own configuration (appsettings.json beside the
/// binary, then environment variables). Only the token goes to standard output. Parsed by System.CommandLine
/// as the <c>notesync</c> CLI is, so <c>--help</c> works and a usage error is reported the same way: the
/// error on standard error, the usage on standard output, exit code 1. A configuration error is one line on
/// standard error, exit code 1 too.
/// </summary>
internal static class TokenCommand
{
    public const string Name = "token";

    /// <summary>The lifetime of a token when <c>--ttl</c> is not given: 30 days.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromDays(30);

    /// <summary>The longest <c>--ttl</c>: 366 days.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(366);

    /// <summary>Runs <c>token</c> with <paramref name="args"/>, the words after it.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("NoteSync server commands.");
        root.Subcommands.Add(Create(output, error));
        return root.Parse([Name, .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    private static Command Create(TextWriter output, TextWriter error)
    {
        var space = new Option<string>("--space") { Description = $"The space the token opens (1..{TokenAuthorization.MaxSpaceLength} characters, no control characters).", Required = true };
        space.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not { Length: > 0 } value || value.Length > TokenAuthorization.MaxSpaceLength || value.Any(char.IsControl))
            {
                r.AddError($"--space must be 1 to {TokenAuthorization.MaxSpaceLength} characters, none of them a control character");
            }
        });
        var device = new Option<string?>("--device") { Description = "The only device id the token may connect as. Default: any device of the space." };
        device.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } value && DeviceIds.CheckOwn(value) is { } problem)
            {
                r.AddError($"--device: {problem}");
            }
        });
        var ttl = new Option<TimeSpan?>("--ttl")
        {
            Description = $"How long the token is valid: a whole number followed by d, h, m or s (30d, 12h, 90m, 3600s), at most {MaxTtl.TotalDays} days. Default: {DefaultTtl.TotalDays}d.",
            CustomParser = r =>
            {
                var text = r.Tokens.Single().Value;
                if (ParseTtl(text) is { } parsed)
                {
                    return parsed;
                }

                r.AddError($"--ttl '{text}' must be a whole number followed by d, h, m or s, at most {MaxTtl.TotalDays} days");
                return null;
            },
        };
        var command = new Command(Name, "Print a token (a JWT) for a space, signed with NoteSync:Auth:SigningKey from the server's configuration (appsettings.json beside the binary, then environment variables such as NoteSync__Auth__SigningKey). Only the token goes to standard output. Exit codes: 0 printed, 1 bad arguments or a missing or short signing key.");
        command.Options.Add(space);
        command.Options.Add(device);
        command.Options.Add(ttl);
        command.SetAction(result => Print(result.GetValue(space)!, result.GetValue(device), result.GetValue(ttl) ?? DefaultTtl, output, error));
        return command;
    }

    private static int Print(string space, string? device, TimeSpan ttl, TextWriter output, TextWriter error)
    {
        AuthOptions auth;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            auth = builder.Configuration.GetSection($"{NoteSyncOptions.Section}:Auth").Get<AuthOptions>() ?? new AuthOptions();
        }
        catch (InvalidOperationException ex)
        {
            error.WriteLine($"token: bad NoteSync:Auth configuration: {ex.Message}");
            return 1;
        }

        if (auth.CheckSigningKeys().FirstOrDefault() is { } keyProblem)
        {
            error.WriteLine($"token: {keyProblem}");
            return 1;
        }

        output.WriteLine(Mint(auth, space, device, ttl, DateTimeOffset.UtcNow));
        return 0;
    }

    /// <summary>A token for <paramref name="space"/> (and only <paramref name="device"/>, when given), valid from <paramref name="now"/> for <paramref name="ttl"/>.</summary>
    public static string Mint(AuthOptions auth, string space, string? device, TimeSpan ttl, DateTimeOffset now)
    {
        var claims = new Dictionary<string, object> { [AuthClaims.Space] = space };
        if (device is not null)
        {
            claims[AuthClaims.DeviceId] = device;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + ttl).UtcDateTime,
            Issuer = string.IsNullOrEmpty(auth.Issuer) ? null : auth.Issuer,
            Audience = string.IsNullOrEmpty(auth.Audience) ? null : auth.Audience,
            SigningCredentials = new SigningCredentials(AuthExtensions.SigningKeys(auth).First(), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static TimeSpan? ParseTtl(string text)
    {
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return null;
        }

        var seconds = text[^1] switch
        {
            'd' => n * 86_400.0,
            'h' => n * 3_600.0,
            'm' => n * 60.0,
            's' => n,
            _ => -1,
        };
        return seconds > 0 && seconds <= MaxTtl.TotalSeconds ? TimeSpan.FromSeconds(seconds) : null;
    }
}
