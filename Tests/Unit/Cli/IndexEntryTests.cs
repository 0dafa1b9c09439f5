using NoteSync.Cli;
using NoteSync.Client;

namespace NoteSync.Tests.Unit.Cli;

/// <summary>The version a file's text came from, as the index records it (<see cref="IndexEntry.Base"/>).</summary>
public sealed class IndexEntryTests
{
    [Fact]
    public void TheBaseIsTheHeadsHoldingTheFilesText()
    {
        NoteVersion[] heads = [new("mine", 9, "laptop"), new("theirs", 7, "phone"), new("mine", 9, "tablet")];
        Assert.Equal([new NoteVersionId(9, "laptop"), new NoteVersionId(9, "tablet")], IndexEntry.BaseOf(heads, "mine")!);
        Assert.Null(IndexEntry.BaseOf(heads, "a text no head holds"));
        Assert.Null(IndexEntry.BaseOf([.. Enumerable.Range(1, 65).Select(i => new NoteVersion("same", i, "d"))], "same"));
    }

    [Fact]
    public void AStoredBaseReadsBackAndAnUnreadableOneIsNone()
    {
        IReadOnlyList<NoteVersionId> @base = [new(12, "laptop"), new(3, "my phone@home")];
        Assert.Equal(@base, IndexEntry.Decode(IndexEntry.Encode(@base))!);
        Assert.Null(IndexEntry.Decode(null));
        Assert.Null(IndexEntry.Decode("12@laptop\nnot a version"));
        Assert.Null(IndexEntry.Encode(null));
    }
}
