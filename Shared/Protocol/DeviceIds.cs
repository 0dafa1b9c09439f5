namespace NoteSync.Shared.Protocol;

/// <summary>The rule for a device id: 1..256 characters, none of them a control character.</summary>
public static class DeviceIds
{
    /// <summary>Null when <paramref name="deviceId"/> is acceptable, else why not.</summary>
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
