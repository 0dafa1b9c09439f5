using System.Security.Claims;
using Microsoft.Extensions.Options;
using NoteSync.Server.Auth;
using NoteSync.Server.Limits;
using NoteSync.Server.Options;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// Who is on the other end of a request: its space and device, and when its token expires. With auth
/// off every device is in the one space <c>default</c>; with auth on the space is the token's
/// <c>space</c> claim and nothing else (no frame names a space), and <see cref="TokenKey"/> names the
/// token (a hash, never the credential) whose push budget the device spends too.
/// </summary>
internal readonly record struct DeviceIdentity(string Space, string DeviceId, DateTimeOffset? ExpiresAt = null, string? TokenKey = null)
{
    /// <summary>The space of every device while auth is off.</summary>
    public const string DefaultSpace = "default";

    /// <summary>The identity of <paramref name="context"/>, or why there is none (see <see cref="ErrorResults.Refuse"/>).</summary>
    public static DeviceIdentity? Resolve(HttpContext context, out ProtocolError? error) => Resolve(context, context.User, out error);

    /// <summary>
    /// The identity of <paramref name="context"/> as <paramref name="user"/> (the hub passes its
    /// connection's user), or why there is none: <c>unauthorized</c>, <c>forbidden</c> or <c>bad_request</c>.
    /// </summary>
    public static DeviceIdentity? Resolve(HttpContext context, ClaimsPrincipal user, out ProtocolError? error)
    {
        var auth = context.RequestServices.GetRequiredService<IOptions<NoteSyncOptions>>().Value.Auth;
        var values = context.Request.Query["device_id"];
        if (values.Count > 1)
        {
            error = ProtocolError.BadRequest("device_id must be given once");
            return null;
        }

        var deviceId = values.Count == 1 ? values[0] : null;
        if (DeviceIds.CheckOwn(deviceId) is { } problem)
        {
            error = ProtocolError.BadRequest(problem);
            return null;
        }

        if (!auth.Enabled)
        {
            error = null;
            return new DeviceIdentity(DefaultSpace, deviceId!);
        }

        error = TokenAuthorization.Check(context, user, deviceId!, out var space, out var expiresAt);
        return error is null ? new DeviceIdentity(space, deviceId!, expiresAt, SyncRateLimits.TokenKeyOf(context.Request)) : null;
    }
}
