using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NoteSync.Server.Options;

namespace NoteSync.Server.Auth;

/// <summary>
/// JWT bearer auth, only with <c>NoteSync:Auth:Enabled=true</c>. The authentication middleware validates
/// the token of every request; it refuses nothing itself: <see cref="Endpoints.DeviceIdentity"/> reads
/// the outcome and answers 401/403, so every transport refuses alike.
/// </summary>
internal static class AuthExtensions
{
    /// <summary>
    /// Whether auth is on. Read from configuration directly: whether to register the handler is decided
    /// while services are registered, before options can be resolved.
    /// </summary>
    public static bool AuthEnabled(this IConfiguration configuration) =>
        configuration.GetValue<bool>(AuthOptions.EnabledKey);

    public static IServiceCollection AddNoteSyncAuth(this IServiceCollection services, IConfiguration configuration)
    {
        if (!configuration.AuthEnabled())
        {
            return services;
        }

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<NoteSyncOptions>>((jwt, ns) =>
            {
                // Claims keep their JWT names ("space", "device_id", "exp"), not WS-Federation URIs.
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = ValidationParameters(ns.Value.Auth);
                jwt.Events = new JwtBearerEvents { OnMessageReceived = ReadQueryToken, OnTokenValidated = CheckShape, OnAuthenticationFailed = KeepFailure };
            });
        return services;
    }

    public static WebApplication UseNoteSyncAuth(this WebApplication app)
    {
        if (app.Configuration.AuthEnabled())
        {
            app.UseAuthentication();
        }

        return app;
    }

    /// <summary>What a token must be: HS256 with one of the configured keys, with <c>exp</c>, within its lifetime.</summary>
    public static TokenValidationParameters ValidationParameters(AuthOptions auth) => new()
    {
        IssuerSigningKeys = [.. SigningKeys(auth)],
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.FromSeconds(auth.ClockSkewSeconds),
        ValidateIssuer = !string.IsNullOrEmpty(auth.Issuer),
        ValidIssuer = auth.Issuer,
        ValidateAudience = !string.IsNullOrEmpty(auth.Audience),
        ValidAudience = auth.Audience,
    };

    /// <summary>The key that signs (first), then the previous keys that still validate.</summary>
    public static IEnumerable<SymmetricSecurityKey> SigningKeys(AuthOptions auth)
    {
        if (!string.IsNullOrEmpty(auth.SigningKey))
        {
            yield return new SymmetricSecurityKey(Encoding.UTF8.GetBytes(auth.SigningKey));
        }

        foreach (var previous in auth.PreviousSigningKeys.Where(k => !string.IsNullOrEmpty(k)))
        {
            yield return new SymmetricSecurityKey(Encoding.UTF8.GetBytes(previous));
        }
    }

    /// <summary>Where the reason a token was refused is kept for the request (the middleware keeps only successes).</summary>
    public static readonly object FailureKey = new();

    private static Task KeepFailure(AuthenticationFailedContext context)
    {
        context.HttpContext.Items[FailureKey] = context.Exception;
        return Task.CompletedTask;
    }

    // A failure set here does not reach OnAuthenticationFailed, so it is kept for TokenAuthorization here.
    private static Task CheckShape(TokenValidatedContext context)
    {
        var problem = context.SecurityToken is JsonWebToken token ? TokenShape.Problem(token) : "the token is not valid";
        if (problem is not null)
        {
            var failure = new TokenShape.RefusedException(problem);
            context.HttpContext.Items[FailureKey] = failure;
            context.Fail(failure);
        }

        return Task.CompletedTask;
    }

    // The header wins; the query is read only where it is allowed, and only when given once
    // (DeviceIdentity refuses a repeated one).
    private static Task ReadQueryToken(MessageReceivedContext context)
    {
        var request = context.Request;
        if (!request.Headers.Authorization.Any(h => !string.IsNullOrEmpty(h)) && AuthClaims.QueryTokenAllowed(request.Path)
            && request.Query[AuthClaims.AccessTokenQuery] is { Count: 1 } values)
        {
            context.Token = values[0];
        }

        return Task.CompletedTask;
    }
}
