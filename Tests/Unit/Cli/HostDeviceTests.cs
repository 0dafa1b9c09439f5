using NoteSync.Cli;

namespace NoteSync.Tests.Unit.Cli;

/// <summary>The host name made a device id: kept as it is when it is one, cleaned when it is not, refused when nothing is left.</summary>
public sealed class HostDeviceTests
{
    [Theory]
    [InlineData("laptop", "laptop")]
    [InlineData("  desk-01 ", "desk-01")]
    [InlineData("odd\u001bname\n", "oddname")]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("\u0007\u0008", null)]
    [InlineData("notesync:merge", null)]
    public void AHostNameBecomesAValidDeviceIdOrNone(string? hostName, string? expected) =>
        Assert.Equal(expected, HostDevice.IdOf(hostName));

    [Fact]
    public void ALongHostNameIsCutToTheLongestDeviceId() =>
        Assert.Equal(new string('h', 256), HostDevice.IdOf(new string('h', 300)));
}
