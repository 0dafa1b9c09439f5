namespace NoteSync.Shared.Protocol;

/// <summary>
/// The rule for a device id: 1..256 characters, none of them a control character; a device's own id must
/// not start with <see cref="ServerPrefix"/>, which names the server's own writes.
/// </summary>
public static class DeviceIds
{
    /// <summary>The prefix of the ids of the server's own writes, which no device may take (docs/protocol.md §1.2).</summary>
    public const string ServerPrefix = "notesync:";

    /// <summary>The device of the versions the server's automatic merge writes (docs/protocol.md §2.3).</summary>
    public const string Merge = ServerPrefix + "merge";

    /// <summary>
    /// Null when <paramref name="deviceId"/> may be a device's own id (a connection's, a token's, a
    /// client's), else why not: <see cref="Check"/>, and not one of the server's.
    /// </summary>
    public static string? CheckOwn(string? deviceId) =>
        Check(deviceId) ?? (deviceId!.StartsWith(ServerPrefix, StringComparison.Ordinal)
            ? $"device_id must not start with '{ServerPrefix}', which names the server's own writes"
            : null);

    /// <summary>Null when <paramref name="deviceId"/> is acceptable as any device's id (one a base names, say), else why not.</summary>
    public static string? Check(string? deviceId)
    {
        if (string.IsNullOrEmpty(deviceId))
        {
            return "device_id is required";
        }

        if (deviceId.Length > ProtocolLimits.MaxDeviceIdLength)
        {
            return $"device_id must be at most {ProtocolLimits.MaxDeviceIdLength} characters";
        }

        foreach (var c in deviceId)
        {
            if (char.IsControl(c))
            {
                return "device_id must not contain control characters";
            }
        }

        return null;
    }
}
