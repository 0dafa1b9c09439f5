using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Auth;

/// <summary>
/// <c>NoteSync.Server token --space S [--device D] [--ttl 30d|12h|90m|3600s]</c>: prints one token, signed
/// with <c>NoteSync:Auth:SigningKey</c> from the server's own configuration (appsettings.json beside the
/// binary, then environment variables). Only the token goes to standard output; an error is one line on
/// standard error, with exit code 2 for bad arguments and 1 for bad configuration.
/// </summary>
internal static class TokenCommand
{
    public const string Name = "token";

    /// <summary>The lifetime of a token when <c>--ttl</c> is not given: 30 days.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromDays(30);

    /// <summary>The longest <c>--ttl</c>: 366 days.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(366);

    private const string Usage = "usage: token --space <space> [--device <device_id>] [--ttl <n>d|h|m|s, default 30d]";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (ParseArguments(args, out var space, out var device, out var ttl) is { } problem)
        {
            error.WriteLine($"token: {problem}; {Usage}");
            return 2;
        }

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

        output.WriteLine(Mint(auth, space!, device, ttl, DateTimeOffset.UtcNow));
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

    private static string? ParseArguments(string[] args, out string? space, out string? device, out TimeSpan ttl)
    {
        space = null;
        device = null;
        ttl = DefaultTtl;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is not ("--space" or "--device" or "--ttl"))
            {
                return $"unknown argument '{name}'";
            }

            if (i + 1 >= args.Length)
            {
                return $"{name} needs a value";
            }

            var value = args[++i];
            switch (name)
            {
                case "--space":
                    space = value;
                    break;
                case "--device":
                    device = value;
                    break;
                default:
                    if (ParseTtl(value) is not { } parsed)
                    {
                        return $"--ttl '{value}' must be a whole number followed by d, h, m or s, at most {MaxTtl.TotalDays} days";
                    }

                    ttl = parsed;
                    break;
            }
        }

        if (string.IsNullOrEmpty(space))
        {
            return "--space is required";
        }

        if (space.Length > TokenAuthorization.MaxSpaceLength || space.Any(char.IsControl))
        {
            return $"--space must be at most {TokenAuthorization.MaxSpaceLength} characters, none of them a control character";
        }

        if (device is not null && DeviceIds.CheckOwn(device) is { } problem)
        {
            return $"--device: {problem}";
        }

        return null;
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
