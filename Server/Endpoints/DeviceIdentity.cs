using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// Who is on the other end of a request: its space and device. With auth off every device is in the
/// one space <c>default</c>; the auth issue replaces <see cref="Resolve"/>'s space with the token's claim.
/// </summary>
internal readonly record struct DeviceIdentity(string Space, string DeviceId)
{
    /// <summary>The space of every device while auth is off.</summary>
    public const string DefaultSpace = "default";

    /// <summary>The identity of <paramref name="context"/>, or why there is none (an HTTP 400 answer).</summary>
    public static DeviceIdentity? Resolve(HttpContext context, out ProtocolError? error)
    {
        var values = context.Request.Query["device_id"];
        if (values.Count > 1)
        {
            error = ProtocolError.BadRequest("device_id must be given once");
            return null;
        }

        var deviceId = values.Count == 1 ? values[0] : null;
        if (DeviceIds.Check(deviceId) is { } problem)
        {
            error = ProtocolError.BadRequest(problem);
            return null;
        }

        error = null;
        return new DeviceIdentity(DefaultSpace, deviceId!);
    }
}
