using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Cli;

/// <summary>
/// The device id a folder takes when no <c>--device</c> is given and it has none yet: the machine's host
/// name, made a valid device id (<see cref="DeviceIds"/>), so a first <c>notesync sync ~/Notes</c> needs no
/// name made up. A folder that has an id keeps it: its queued writes belong to that device.
/// </summary>
internal static class HostDevice
{
    /// <summary>The device id for <paramref name="hostName"/>, or null when none can be made of it.</summary>
    public static string? IdOf(string? hostName)
    {
        var id = new StringBuilder();
        foreach (var c in (hostName ?? "").Trim())
        {
            if (!char.IsControl(c) && id.Length < ProtocolLimits.MaxDeviceIdLength)
            {
                id.Append(c);
            }
        }

        var text = id.ToString().Trim();
        return text.Length > 0 && DeviceIds.CheckOwn(text) is null ? text : null;
    }

    /// <summary>This machine's host name as a device id, or null.</summary>
    public static string? OfThisMachine()
    {
        try
        {
            return IdOf(Environment.MachineName);
        }
        catch (InvalidOperationException)
        {
            // The host name cannot be read: the person gives --device.
            return null;
        }
    }
}
