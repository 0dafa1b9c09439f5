using NoteSync.Shared;

namespace NoteSync.Tests.Unit;

/// <summary>What the CLI prints of names and servers' messages: every unprintable character as <c>&lt;U+XXXX&gt;</c>.</summary>
public sealed class PrintableTextTests
{
    [Theory]
    [InlineData("evil\u001b]0;pwned\u0007.md", "evil<U+001B>]0;pwned<U+0007>.md")]          // sets the terminal's title
    [InlineData("a\u001b[2K\rnotesync: in sync", "a<U+001B>[2K<U+000D>notesync: in sync")]   // erases the line, fakes a status
    [InlineData("two\nlines\ttab\0nul", "two<U+000A>lines<U+0009>tab<U+0000>nul")]
    [InlineData("\u009b31mred\u007f", "<U+009B>31mred<U+007F>")]                              // C1 CSI, DEL
    [InlineData("invoice\u202egpj.md", "invoice<U+202E>gpj.md")]                               // shows as invoicedm.jpg
    [InlineData("a\u200bb\ufeffc\u00add", "a<U+200B>b<U+FEFF>c<U+00AD>d")]
    [InlineData("line\u2028para\u2029", "line<U+2028>para<U+2029>")]
    [InlineData("tag\U000E0041", "tag<U+E0041>")]
    [InlineData("non\ufdd0char\uffff", "non<U+FDD0>char<U+FFFF>")]
    [InlineData("\u0600 arabic number sign", "<U+0600> arabic number sign")]                  // other format characters too
    public void UnprintableCharactersAreNamed(string text, string printed)
    {
        Assert.Equal(printed, PrintableText.Escape(text));
    }

    [Fact]
    public void UnpairedSurrogateIsNamed()
    {
        // Built in code: an attribute string cannot hold an unpaired surrogate.
        Assert.Equal("a<U+D800>b<U+DC00>", PrintableText.Escape("a" + (char)0xD800 + "b" + (char)0xDC00));
    }

    [Theory]
    [InlineData("inbox/todo.md")]
    [InlineData("caf\u00e9 \u65e5\u672c \U0001F600 \u2764\ufe0f \u00a0nbsp")]   // accents, CJK, emoji with their variation selector
    [InlineData("\u05e9\u05dc\u05d5\u05dd and e\u0301")]                        // right-to-left letters, a combining mark
    [InlineData("C:\\Users\\me\\Notes <a> \"b\" 100%")]
    public void PrintableTextIsLeftAsItIs(string text)
    {
        Assert.Same(text, PrintableText.Escape(text));
    }
}
