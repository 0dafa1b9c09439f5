using NoteSync.Server.Stores;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

/// <summary>
/// <see cref="KeyRepair"/>: the key a note under a refused key moves to writes out what the rule
/// refuses, is in NFC and passes the rule; a taken name gets a number before its extension.
/// </summary>
public sealed class KeyRepairTests
{
    [Theory]
    [InlineData("note:a\u001b[31mb.md", "note:a(U+001B)[31mb.md")]
    [InlineData("note:line\nbreak.md", "note:line(U+000A)break.md")]
    [InlineData("note:\u202Egnp.exe", "note:(U+202E)gnp.exe")]
    [InlineData("note:\uFEFFbom.md", "note:(U+FEFF)bom.md")]
    [InlineData("note:cafe\u0301.md", "note:caf\u00e9.md")]
    [InlineData("note:zero\u200Bwidth.md", "note:zero(U+200B)width.md")]
    [InlineData("note:woman\U0001F469\u200D\U0001F4BB.md", "note:woman\U0001F469\u200D\U0001F4BB.md")]
    public void RefusedCharactersAreWrittenOutAndTheKeyIsNormalized(string key, string expected)
    {
        var repaired = KeyRepair.Repaired(key, ProtocolLimits.ProtocolMaxKeyBytes);

        Assert.Equal(expected, repaired);
        Assert.Null(KeyCharacters.Problem(repaired!));
    }

    [Fact]
    public void ALoneSurrogateIsWrittenOut()
    {
        // Built here: test data given as attributes is serialized, which mangles a lone surrogate.
        var key = "note:lone" + (char)0xD800 + ".md";

        Assert.Equal("note:lone(U+D800).md", KeyRepair.Repaired(key, ProtocolLimits.ProtocolMaxKeyBytes));
    }

    [Fact]
    public void AKeyThatWouldBeTooLongWrittenOutHasNoRepair()
    {
        var key = "note:" + new string('\u0007', 200) + ".md";

        Assert.Null(KeyRepair.Repaired(key, ProtocolLimits.ProtocolMaxKeyBytes));
    }

    [Theory]
    [InlineData("note:a.md", "note:a.md")]
    [InlineData("note:taken.md", "note:taken (3).md")]
    [InlineData("note:v1.2/readme", "note:v1.2/readme (2)")]
    public void ATakenKeyGetsTheFirstFreeNumberBeforeItsExtension(string key, string expected)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal) { "note:taken.md", "note:taken (2).md", "note:v1.2/readme" };

        Assert.Equal(expected, KeyRepair.Free(key, taken));
    }
}
