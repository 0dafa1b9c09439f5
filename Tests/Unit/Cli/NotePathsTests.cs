using NoteSync.Cli;

namespace NoteSync.Tests.Unit.Cli;

/// <summary>
/// Which note paths the CLI maps to files (docs/client.md, "Which files are notes"): portable,
/// relative names whose keys the server takes, on every OS; Windows forms are checked here on Linux.
/// </summary>
public sealed class NotePathsTests
{
    [Theory]
    [InlineData("C:/x.md", "its name holds ':', which Windows does not allow in a file name")]
    [InlineData("C:x.md", "its name holds ':', which Windows does not allow in a file name")]
    [InlineData("notes/a:b.md", "its name holds ':', which Windows does not allow in a file name")]
    [InlineData("\\\\server\\share\\x.md", "its name holds '\\', which Windows does not allow in a file name")]
    [InlineData("a\\..\\..\\x.md", "its name holds '\\', which Windows does not allow in a file name")]
    [InlineData("a<b.md", "its name holds '<', which Windows does not allow in a file name")]
    [InlineData("a>b.md", "its name holds '>', which Windows does not allow in a file name")]
    [InlineData("a\"b.md", "its name holds '\"', which Windows does not allow in a file name")]
    [InlineData("a|b.md", "its name holds '|', which Windows does not allow in a file name")]
    [InlineData("why?.md", "its name holds '?', which Windows does not allow in a file name")]
    [InlineData("all*.md", "its name holds '*', which Windows does not allow in a file name")]
    [InlineData("CON.md", "'CON.md' is a device name on Windows")]
    [InlineData("con.tar.md", "'con.tar.md' is a device name on Windows")]
    [InlineData("Nul .txt", "'Nul .txt' is a device name on Windows")]
    [InlineData("lpt9.md", "'lpt9.md' is a device name on Windows")]
    [InlineData("COM\u00b9.md", "'COM\u00b9.md' is a device name on Windows")]
    [InlineData("aux/x.md", "'aux' is a device name on Windows")]
    [InlineData("x.md.", "'x.md.' ends in a dot or a space, which Windows drops")]
    [InlineData("x.md ", "'x.md ' ends in a dot or a space, which Windows drops")]
    [InlineData("dir /x.md", "'dir ' ends in a dot or a space, which Windows drops")]
    [InlineData("dir./x.md", "'dir.' ends in a dot or a space, which Windows drops")]
    [InlineData("/x.md", "its name has an empty, '.' or '..' part")]
    [InlineData("a//x.md", "its name has an empty, '.' or '..' part")]
    [InlineData("./x.md", "its name has an empty, '.' or '..' part")]
    [InlineData("../x.md", "its name has an empty, '.' or '..' part")]
    [InlineData("a/../../x.md", "its name has an empty, '.' or '..' part")]
    [InlineData("evil\u001b]0;pwned\u0007.md", "its key must not contain U+001B (a control character)")]
    [InlineData("invoice\u202egpj.md", "its key must not contain U+202E (a bidirectional control)")]
    [InlineData("zero\u200bwidth.md", "its key must not contain U+200B (an invisible character)")]
    [InlineData("cafe\u0301.md", "its key must be in Unicode normalization form C")]
    public void NamesThatCannotBeFilesAreNotesWithAProblem(string path, string problem)
    {
        Assert.True(NotePaths.IsNoteShaped(path));
        Assert.False(NotePaths.IsNote(path));
        Assert.Equal(problem, NotePaths.Problem(path));
    }

    [Theory]
    [InlineData("inbox/todo.md")]
    [InlineData("Projects/Plan (v2).TXT")]
    [InlineData("\u65e5\u672c\u8a9e/\u30e1\u30e2.md")]
    [InlineData("caf\u00e9.md")]
    [InlineData("a.b.c.md")]
    [InlineData("CONFIG.md")]
    [InlineData("console/com10.md")]
    [InlineData("nul-ish.md")]
    [InlineData("100% done, #1 & more.md")]
    [InlineData("plan.conflict-phone.md")] // only copies the folder recorded making are not notes (FileIndex)
    public void PortableNamesAreNotes(string path)
    {
        Assert.True(NotePaths.IsNote(path));
        Assert.Null(NotePaths.Problem(path));
    }

    [Theory]
    [InlineData("aux")]                  // no note extension: a key only other clients make, never a file here
    [InlineData("CON")]
    [InlineData(".hidden/x.md")]         // dot-folders stay local by design
    [InlineData("a/.x.md")]
    [InlineData("picture.png")]
    [InlineData("")]
    public void OtherPathsAreNotNotesAtAll(string path)
    {
        Assert.False(NotePaths.IsNoteShaped(path));
        Assert.False(NotePaths.IsNote(path));
    }

    [Fact]
    public void NfdFileNameNormalizesToTheNfcNotePath()
    {
        Assert.Equal("caf\u00e9/r\u00e9sum\u00e9.md", NotePaths.Normalized("cafe\u0301/re\u0301sume\u0301.md"));
        Assert.Null(NotePaths.Problem(NotePaths.Normalized("cafe\u0301.md")));

        var unpaired = "a" + (char)0xD800 + ".md";
        Assert.Same(unpaired, NotePaths.Normalized(unpaired));
        Assert.Equal("its key must be valid Unicode text", NotePaths.Problem(unpaired));
    }

    [Theory]
    [InlineData("a/b.md", "a/b.md")]
    [InlineData("a/../b.md", "b.md")]
    [InlineData("a/./b.md", "a/b.md")]
    public void FullPathUnderTheFolderIsMapped(string relative, string expected)
    {
        var root = Path.Combine(Path.GetTempPath(), "notes");

        Assert.Equal(Path.Combine(root, expected.Replace('/', Path.DirectorySeparatorChar)), NotePaths.FullOf(root, relative));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/..")]                   // the folder itself is no note's file
    [InlineData("../x.md")]
    [InlineData("a/../../x.md")]
    [InlineData("../notes-evil/x.md")]     // a sibling whose name starts with the folder's
    [InlineData("/etc/x.md")]
    public void FullPathOutsideTheFolderIsRefused(string relative)
    {
        var root = Path.Combine(Path.GetTempPath(), "notes");

        Assert.Null(NotePaths.FullOf(root, relative));
        Assert.Null(NotePaths.FullOf(root + Path.DirectorySeparatorChar, relative));
    }
}
