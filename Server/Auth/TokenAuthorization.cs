using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Auth;

/// <summary>
/// Reads what the authentication middleware made of a request's token: the space, and whether the
/// token may act as the requested device. <c>unauthorized</c> (401) for no usable token,
/// <c>forbidden</c> (403) for a valid token naming another device. Messages never quote the token.
/// </summary>
internal static class TokenAuthorization
{
    /// <summary>The most characters in a space name: the same rule as a device id.</summary>
    public const int MaxSpaceLength = ProtocolLimits.MaxDeviceIdLength;

    /// <summary>The answer to a <c>space</c> claim that is missing, empty, repeated or not a JSON string.</summary>
    public const string SpaceNotOneString = $"the token's {AuthClaims.Space} claim must be one non-empty string";

    public static ProtocolError? Check(HttpContext context, ClaimsPrincipal user, string deviceId, out string space, out DateTimeOffset expiresAt)
    {
        space = string.Empty;
        expiresAt = default;
        var request = context.Request;
        var queryTokens = request.Query[AuthClaims.AccessTokenQuery];
        if (queryTokens.Count > 0 && !AuthClaims.QueryTokenAllowed(request.Path))
        {
            return Unauthorized($"{AuthClaims.AccessTokenQuery} in the query is accepted on /ws/sync and /hubs/sync only; send the token as Authorization: Bearer <token>");
        }

        if (queryTokens.Count > 1)
        {
            return Unauthorized($"{AuthClaims.AccessTokenQuery} must be given once");
        }

        if (user.Identity is not { IsAuthenticated: true })
        {
            var failure = context.Items.TryGetValue(AuthExtensions.FailureKey, out var kept) ? kept as Exception : null;
            return Unauthorized(failure is null ? NoTokenMessage(request.Path) : Describe(failure));
        }

        var spaces = user.FindAll(AuthClaims.Space).ToList();
        if (spaces.Count != 1 || spaces[0].ValueType != ClaimValueTypes.String || spaces[0].Value.Length == 0)
        {
            return Unauthorized(SpaceNotOneString);
        }

        if (spaces[0].Value.Length > MaxSpaceLength || spaces[0].Value.Any(char.IsControl))
        {
            return Unauthorized($"the token's {AuthClaims.Space} claim must be at most {MaxSpaceLength} characters, none of them a control character");
        }

        if (!long.TryParse(user.FindFirst("exp")?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var exp))
        {
            // The handler requires exp already; this only guards the parse.
            return Unauthorized("the token has no exp");
        }

        var devices = user.FindAll(AuthClaims.DeviceId).ToList();
        if (devices.Count > 1 || (devices.Count == 1 && !string.Equals(devices[0].Value, deviceId, StringComparison.Ordinal)))
        {
            return new ProtocolError(ErrorCodes.Forbidden, $"the token is for another device: its {AuthClaims.DeviceId} claim must equal the query's device_id");
        }

        space = spaces[0].Value;
        expiresAt = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(exp, 0, DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        return null;
    }

    private static ProtocolError Unauthorized(string message) => new(ErrorCodes.Unauthorized, message);

    private static string NoTokenMessage(PathString path) => AuthClaims.QueryTokenAllowed(path)
        ? $"a token is required: Authorization: Bearer <token>, or the {AuthClaims.AccessTokenQuery} query parameter"
        : "a token is required: Authorization: Bearer <token>";

    private static string Describe(Exception failure) => failure switch
    {
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNotYetValidException => "the token is not valid yet (nbf)",
        SecurityTokenNoExpirationException => "the token has no exp",
        SecurityTokenInvalidIssuerException => "the token's issuer (iss) is not accepted",
        SecurityTokenInvalidAudienceException => "the token's audience (aud) is not accepted",
        SecurityTokenInvalidAlgorithmException => "the token's algorithm is not accepted (HS256 only)",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature is not valid",
        SecurityTokenMalformedException => "the token is not a well-formed JWT",
        TokenShape.RefusedException refused => refused.Message,
        _ => "the token is not valid",
    };
}
