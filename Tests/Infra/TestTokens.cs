using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NoteSync.Tests.Infra;

/// <summary>Tokens for tests, good and bad, and the server settings that accept the good ones.</summary>
internal static class TestTokens
{
    /// <summary>The signing key of <see cref="Settings"/>: 48 bytes of UTF-8.</summary>
    public const string Key = "notesync-test-signing-key-0123456789-abcdefghij";

    /// <summary>A key of the right length that the server does not know.</summary>
    public const string WrongKey = "notesync-WRONG-signing-key-0123456789-abcdefghi";

    /// <summary>Marks "leave the space claim out" for <see cref="Mint"/>.</summary>
    public static readonly object NoSpace = new();

    /// <summary>Environment overrides turning auth on with <see cref="Key"/> (and iss/aud when given).</summary>
    public static Dictionary<string, string> Settings(string? issuer = null, string? audience = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["NoteSync__Auth__Enabled"] = "true",
            ["NoteSync__Auth__SigningKey"] = Key,
        };
        if (issuer is not null)
        {
            settings["NoteSync__Auth__Issuer"] = issuer;
        }

        if (audience is not null)
        {
            settings["NoteSync__Auth__Audience"] = audience;
        }

        return settings;
    }

    /// <summary>
    /// An HS256 token. <paramref name="space"/> is a string, an array (several claims), or
    /// <see cref="NoSpace"/>; <paramref name="expires"/> defaults to an hour from now; <paramref name="headers"/>
    /// are added to the JOSE header.
    /// </summary>
    public static string Mint(
        object space,
        string? deviceId = null,
        DateTimeOffset? expires = null,
        DateTimeOffset? notBefore = null,
        string key = Key,
        string? issuer = null,
        string? audience = null,
        IDictionary<string, object>? headers = null)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>();
        if (!ReferenceEquals(space, NoSpace))
        {
            claims["space"] = space;
        }

        if (deviceId is not null)
        {
            claims["device_id"] = deviceId;
        }

        var exp = expires ?? now.AddHours(1);
        var nbf = notBefore ?? (exp < now ? exp.AddHours(-1) : now.AddMinutes(-1));
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = nbf.UtcDateTime,
            NotBefore = nbf.UtcDateTime,
            Expires = exp.UtcDateTime,
            Issuer = issuer,
            Audience = audience,
            AdditionalHeaderClaims = headers,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>), built by hand as an attacker would.</summary>
    public static string AlgNone(string space, string? issuer = null, string? audience = null)
    {
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var payload = $"{{\"space\":\"{space}\",\"exp\":{exp}"
            + (issuer is null ? string.Empty : $",\"iss\":\"{issuer}\"")
            + (audience is null ? string.Empty : $",\"aud\":\"{audience}\"") + "}";
        return $"{Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Base64UrlEncoder.Encode(payload)}.";
    }
}
