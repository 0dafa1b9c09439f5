using FsCheck;
using FsCheck.Fluent;
using NoteSync.Shared.Merge;

namespace NoteSync.Tests.Unit;

/// <summary>The line-based three-way merge of concurrent edits (docs/protocol.md §2).</summary>
public sealed class ThreeWayMergeTests
{
    private const string Trip = "# Trip\nDay 1: Lyon\nDay 2: Annecy\nDay 3: Geneva\nPack: boots\n";

    [Fact]
    public void EditsOfDifferentLinesAreBothKept()
    {
        var laptop = Trip.Replace("Day 1: Lyon", "Day 1: Lyon, the old town", StringComparison.Ordinal);
        var phone = Trip.Replace("Pack: boots", "Pack: boots, rain coat", StringComparison.Ordinal);

        var merged = ThreeWayMerge.Merge(Trip, laptop, phone, "laptop", "phone");

        Assert.Equal(new MergedText(true, "# Trip\nDay 1: Lyon, the old town\nDay 2: Annecy\nDay 3: Geneva\nPack: boots, rain coat\n"), merged);
    }

    [Fact]
    public void EditsOfTheSameLineAreAConflictWithMarkersNamingBothSides()
    {
        var laptop = Trip.Replace("Day 2: Annecy", "Day 2: Chamonix", StringComparison.Ordinal);
        var phone = Trip.Replace("Day 2: Annecy", "Day 2: rest", StringComparison.Ordinal);

        var merged = ThreeWayMerge.Merge(Trip, laptop, phone, "laptop", "phone");

        Assert.Equal(
            new MergedText(false, "# Trip\nDay 1: Lyon\n<<<<<<< laptop\nDay 2: Chamonix\n=======\nDay 2: rest\n>>>>>>> phone\nDay 3: Geneva\nPack: boots\n"),
            merged);
    }

    [Fact]
    public void ADeleteOfALineTheOtherSideEditedIsAConflict()
    {
        var laptop = Trip.Replace("Day 3: Geneva\n", "", StringComparison.Ordinal);
        var phone = Trip.Replace("Day 3: Geneva", "Day 3: Geneva and Lausanne", StringComparison.Ordinal);

        var merged = ThreeWayMerge.Merge(Trip, laptop, phone, "laptop", "phone");

        Assert.False(merged.Clean);
        Assert.Contains("<<<<<<< laptop\n=======\nDay 3: Geneva and Lausanne\n>>>>>>> phone\n", merged.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void EditsOfTouchingLinesAreAConflictAsInGit()
    {
        var laptop = Trip.Replace("Day 1: Lyon", "Day 1: Dijon", StringComparison.Ordinal);
        var phone = Trip.Replace("Day 2: Annecy", "Day 2: Grenoble", StringComparison.Ordinal);

        var merged = ThreeWayMerge.Merge(Trip, laptop, phone, "laptop", "phone");

        Assert.False(merged.Clean);
    }

    [Fact]
    public void LineEndingsAndALastLineWithoutOneAreKeptExactly()
    {
        const string original = "one\r\ntwo\r\nthree";
        var merged = ThreeWayMerge.Merge(original, "zero\r\none\r\ntwo\r\nthree", "one\r\ntwo\r\nthree!", "a", "b");
        var conflict = ThreeWayMerge.Merge(original, "one\r\ntwo\r\nthree?", "one\r\ntwo\r\nthree!", "a", "b");

        Assert.Equal(new MergedText(true, "zero\r\none\r\ntwo\r\nthree!"), merged);
        Assert.Equal(new MergedText(false, "one\r\ntwo\r\n<<<<<<< a\nthree?\n=======\nthree!\n>>>>>>> b\n"), conflict);
    }

    [Fact]
    public void OneSideUnchangedOrBothAlikeMergeToTheEditedText()
    {
        var lines = Gen.Elements("a\n", "b\n", "c\n", "d\n", "", "e");
        var text = Gen.ListOf(lines).Select(l => string.Concat(l));

        Prop.ForAll(text.ToArbitrary(), text.ToArbitrary(), (original, edited) =>
        {
            Assert.Equal(new MergedText(true, edited), ThreeWayMerge.Merge(original, edited, original, "a", "b"));
            Assert.Equal(new MergedText(true, edited), ThreeWayMerge.Merge(original, original, edited, "a", "b"));
            Assert.Equal(new MergedText(true, edited), ThreeWayMerge.Merge(original, edited, edited, "a", "b"));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ACleanMergeHoldsEachSidesChangesWhenTheyAreFarApart()
    {
        // Each side edits its own half of a long note: the merge is the first half of one and the second of the other.
        var half = Gen.ListOf(Gen.Elements("x\n", "y\n", "z\n")).Select(l => string.Concat(l));
        var cases = from first in half from second in half from a in half from b in half select (first, second, a, b);

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            const string wall = "---\n---\n---\n";
            var original = c.first + wall + c.second;
            var merged = ThreeWayMerge.Merge(original, c.a + wall + c.second, c.first + wall + c.b, "a", "b");

            Assert.Equal(new MergedText(true, c.a + wall + c.b), merged);
        }).QuickCheckThrowOnFailure();
    }
}
