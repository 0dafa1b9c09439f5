using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NoteSync.Server.Auth;

/// <summary>
/// What a signed, unexpired token must also be, read from its JSON (docs/security.md, The token):
/// the handler neither refuses a <c>crit</c> header nor tells a one-element <c>space</c> array from a
/// string once it has turned them into claims.
/// </summary>
internal static class TokenShape
{
    /// <summary>A token refused for its shape; the message is the answer's and quotes nothing of the token.</summary>
    internal sealed class RefusedException(string message) : SecurityTokenValidationException(message);

    /// <summary>Why <paramref name="token"/> is refused, or null when its shape is fine.</summary>
    public static string? Problem(JsonWebToken token)
    {
        try
        {
            // RFC 7515 §4.1.11: an extension named in crit must be understood, and NoteSync understands none.
            using (var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedHeader)))
            {
                if (header.RootElement.TryGetProperty("crit", out _))
                {
                    return "the token names critical header extensions (crit) the server does not understand";
                }
            }

            using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedPayload));
            var spaces = payload.RootElement.EnumerateObject().Where(p => p.NameEquals(AuthClaims.Space)).ToList();
            return spaces is [{ Value.ValueKind: JsonValueKind.String }] ? null : TokenAuthorization.SpaceNotOneString;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidOperationException)
        {
            // The handler parsed it already; this only guards the second reading.
            return "the token is not valid";
        }
    }
}
