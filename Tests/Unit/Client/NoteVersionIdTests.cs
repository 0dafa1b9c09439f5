using NoteSync.Client;

namespace NoteSync.Tests.Unit.Client;

/// <summary>The <c>timestamp@device</c> form of a version id, as the CLI shows and takes it.</summary>
public sealed class NoteVersionIdTests
{
    [Theory]
    [InlineData("12@laptop", 12, "laptop")]
    [InlineData("7@me@home", 7, "me@home")]
    public void ReadsWhatItWrites(string text, long timestamp, string device)
    {
        Assert.True(NoteVersionId.TryParse(text, out var id));
        Assert.Equal(new NoteVersionId(timestamp, device), id);
        Assert.Equal(text, id.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("@laptop")]
    [InlineData("12@")]
    [InlineData("0@laptop")]
    [InlineData("-3@laptop")]
    [InlineData("+3@laptop")]
    [InlineData("x@laptop")]
    [InlineData("99999999999999999999@laptop")]
    [InlineData(null)]
    public void RefusesAnythingElse(string? text) => Assert.False(NoteVersionId.TryParse(text, out _));
}
