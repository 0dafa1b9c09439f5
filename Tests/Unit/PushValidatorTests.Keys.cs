using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

/// <summary>The key rule (docs/protocol.md §1.3, §1.4): its prefix, its length in UTF-8 bytes, and the characters it must not hold.</summary>
public sealed partial class PushValidatorTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("")]
    [InlineData("note:")]
    [InlineData("Note:a")]
    [InlineData("notes/a")]
    [InlineData(" note:a")]
    public void KeyWithoutNotePrefixAndPathIsRefused(string key)
    {
        // Act
        var error = PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default);

        // Assert
        Assert.Equal(ProtocolError.BadRequest("changes[0].key must be 'note:<path>' with a non-empty path"), error);
    }

    [Theory]
    [InlineData(0xD800, -1)]
    [InlineData(0xDC00, 'b')]
    [InlineData(0xDE00, 0xD83D)]
    public void KeyWithLoneSurrogateIsRefused(int first, int second)
    {
        // Built in code: attribute strings are stored as UTF-8, which cannot hold a lone surrogate.
        // This is how such a key arrives from the hub's deserializers; the raw reader refuses it earlier.
        var key = "note:a" + (char)first + (second < 0 ? "" : ((char)second).ToString());

        var error = PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[0].key must be valid Unicode text"), error);
    }

    [Fact]
    public void KeyMissingIsRefused()
    {
        var change = Change("note:a");
        change.Key = null!;

        var error = PushValidator.Validate(Push(change), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[0].key is required"), error);
    }

    [Fact]
    public void KeyIsCheckedAtItsIndex()
    {
        var push = Push(Change("note:a"), Change("note:b"), Change("c"));

        var error = PushValidator.Validate(push, Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[2].key must be 'note:<path>' with a non-empty path"), error);
    }

    [Fact]
    public void KeyOf1024Utf8BytesIsAccepted()
    {
        // "note:" is 5 bytes, each 'é' 2, each 'x' 1: 5 + 2 * 509 + 1 = 1024.
        var key = "note:" + new string('\u00e9', 509) + "x";
        Assert.Equal(1024, Encoding.UTF8.GetByteCount(key));

        var error = PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default);

        Assert.Null(error);
    }

    [Theory]
    [InlineData("\u00e9", 510)] // 5 + 2 * 510 = 1025 bytes in 515 characters
    [InlineData("\u20ac", 340)] // 5 + 3 * 340 = 1025 bytes in 345 characters
    [InlineData("x", 1020)]     // 5 + 1020 = 1025 bytes
    public void KeyOf1025Utf8BytesIsRefused(string unit, int count)
    {
        var key = "note:" + string.Concat(Enumerable.Repeat(unit, count));
        Assert.Equal(1025, Encoding.UTF8.GetByteCount(key));

        var error = PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[0].key must be at most 1024 UTF-8 bytes"), error);
    }

    [Fact]
    public void KeyOverAServersLowerLimitIsRefusedAndOneAtItIsAccepted()
    {
        var limits = ProtocolLimits.Default with { MaxKeyBytes = 16 };

        Assert.Null(PushValidator.Validate(Push(Change("note:0123456789a")), Device, limits));
        Assert.Equal(
            ProtocolError.BadRequest("changes[0].key must be at most 16 UTF-8 bytes"),
            PushValidator.Validate(Push(Change("note:0123456789ab")), Device, limits));
    }

    [Fact]
    public void KeyWithSurrogatePairIsAccepted()
    {
        var push = Parse("{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:\\ud83d\\ude00\",\"value\":\"v\",\"timestamp\":1}]}");

        var error = PushValidator.Validate(push, Device, ProtocolLimits.Default);

        Assert.Null(error);
        Assert.Equal("note:\U0001F600", push.Changes[0].Key);
    }

    [Theory]
    [InlineData(0x0000, "a control character")]
    [InlineData(0x0007, "a control character")]
    [InlineData(0x000A, "a control character")]
    [InlineData(0x001B, "a control character")]
    [InlineData(0x007F, "a control character")]
    [InlineData(0x0085, "a control character")]
    [InlineData(0x009B, "a control character")]
    [InlineData(0x061C, "a bidirectional control")]
    [InlineData(0x200E, "a bidirectional control")]
    [InlineData(0x200F, "a bidirectional control")]
    [InlineData(0x202A, "a bidirectional control")]
    [InlineData(0x202E, "a bidirectional control")]
    [InlineData(0x2066, "a bidirectional control")]
    [InlineData(0x2069, "a bidirectional control")]
    [InlineData(0x00AD, "an invisible character")]
    [InlineData(0x200B, "an invisible character")]
    [InlineData(0x200C, "an invisible character")]
    [InlineData(0x200D, "an invisible character")]
    [InlineData(0x2060, "an invisible character")]
    [InlineData(0x3164, "an invisible character")]
    [InlineData(0xFEFF, "an invisible character")]
    [InlineData(0xE0041, "an invisible character")]
    [InlineData(0x2028, "a line or paragraph separator")]
    [InlineData(0x2029, "a line or paragraph separator")]
    [InlineData(0xFDD0, "a noncharacter")]
    [InlineData(0xFFFE, "a noncharacter")]
    [InlineData(0xFFFF, "a noncharacter")]
    [InlineData(0x10FFFF, "a noncharacter")]
    public void KeyWithARefusedCharacterIsRefusedNamingIt(int codePoint, string what)
    {
        var key = "note:inbox/" + char.ConvertFromUtf32(codePoint) + "x.md";

        var error = PushValidator.Validate(Push(Change("note:ok"), Change(key)), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest($"changes[1].key must not contain U+{codePoint:X4} ({what})"), error);
    }

    [Theory]
    [InlineData("note:\U0001F469\u200d\U0001F4BB.md")]                              // woman, ZWJ, laptop
    [InlineData("note:\u0645\u06CC\u200c\u062E\u0648\u0627\u0647\u0645.md")]  // Persian, with a ZWNJ
    [InlineData("note:\U0001F468\u200d\U0001F469\u200d\U0001F467")]                // a family of three
    public void JoinerBetweenTwoCharactersOutsideAsciiIsAllowed(string key)
    {
        Assert.Null(PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default));
    }

    [Theory]
    [InlineData("note:a\u200db", "U+200D")]
    [InlineData("note:\u200d\U0001F600", "U+200D")]
    [InlineData("note:\U0001F600\u200c", "U+200C")]
    [InlineData("note:\U0001F600\u200d\u200d\U0001F600", "U+200D")]
    [InlineData("note:\u00e9\u200cb", "U+200C")]
    public void JoinerNextToAsciiAnEndOrAnotherJoinerIsRefused(string key, string named)
    {
        var error = PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest($"changes[0].key must not contain {named} (an invisible character)"), error);
    }

    [Theory]
    [InlineData("note:a\u200b\u001b", "U+200B (an invisible character)")]
    [InlineData("note:\u001bcafe\u0301", "U+001B (a control character)")]
    public void FirstRefusedCharacterIsNamedBeforeTheNormalization(string key, string named)
    {
        var error = PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest($"changes[0].key must not contain {named}"), error);
    }

    [Theory]
    [InlineData("note:cafe\u0301.md")]      // é as e + combining acute (NFD)
    [InlineData("note:\u212b")]              // ANGSTROM SIGN, whose NFC is U+00C5
    [InlineData("note:\u1100\u1161")]       // conjoining jamo that compose to the syllable U+AC00
    [InlineData("note:a\u0307\u0323")]      // dot above before dot below: marks out of canonical order
    public void KeyNotInNfcIsRefused(string key)
    {
        var error = PushValidator.Validate(Push(Change("note:ok"), Change(key)), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[1].key must be in Unicode normalization form C"), error);
    }

    [Theory]
    [InlineData("note:caf\u00e9.md")]                 // é precomposed (NFC)
    [InlineData("note:\u2764\ufe0f and \u00a0")]    // an emoji with its variation selector, a no-break space
    [InlineData("note:\ue000 \ufffd \uac00")]       // private use, the replacement character, a Hangul syllable
    [InlineData("note:\u05e9\u05dc\u05d5\u05dd/\u0645\u0631\u062d\u0628\u0627")] // right-to-left text itself
    [InlineData("note:\u0915\u094d\u0937")]          // Devanagari with a virama
    public void KeyOfOrdinaryTextIsAccepted(string key)
    {
        Assert.Null(PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default));
    }

    [Fact]
    public void KeyOverTheLimitIsRefusedForItsLengthBeforeItsCharacters()
    {
        var key = "note:\u001b" + new string('x', 1100);

        var error = PushValidator.Validate(Push(Change(key)), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[0].key must be at most 1024 UTF-8 bytes"), error);
    }
}
