using FsCheck;
using FsCheck.Fluent;
using NoteSync.Server.Stores;

namespace NoteSync.Tests.Unit;

/// <summary>A replaced version's text kept as line edits against a later one (docs/architecture.md, History).</summary>
public sealed class LineDeltaTests
{
    [Fact]
    public void AnyTwoTextsGiveADeltaThatRebuildsTheOlderExactlyOrNone()
    {
        // Line endings of every kind, a last line without one, empty lines and texts.
        var lines = Gen.Elements("a\n", "b\r\n", "c\n", "\n", "\r\n", "d", "é ü\n", "\"quoted\"\n", "");
        AnyTwoTextsOfRebuildTheOlderExactlyOrNone(lines);
    }

    [Fact]
    public void AOneLineEditOfALongNoteIsTensOfBytes()
    {
        var older = string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i} of a long note\r\n"));
        var newer = older.Replace("line 50 of", "line fifty of", StringComparison.Ordinal) + "a last line without an ending";

        var delta = LineDelta.Encode(newer, older);

        Assert.NotNull(delta);
        Assert.Equal(older, LineDelta.Apply(newer, delta));
        Assert.True(delta.Length < 60, delta);
    }

    [Fact]
    public void LongLinesThatDifferByAWordOrHalfAPairGiveADeltaThatRebuildsTheOlderExactlyOrNone()
    {
        // Lines long enough that the characters a changed line shares with its replacement are copied,
        // and emoji whose UTF-16 pairs share their first half (U+1F98A and U+1F98B), so a shared run
        // ends inside a pair.
        var lines = Gen.Elements(
            "the quick brown fox jumps over the lazy dog\n", "the quick brown cat jumps over the lazy dog\n",
            "the quick brown fox jumps over the lazy dog", "the quick brown 🦊 jumps over the lazy dog\r\n",
            "the quick brown 🦋 jumps over the lazy dog\r\n", "🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊🦊\n", "🦊🦊🦊🦊🦊🦊🦊🦋🦊🦊🦊🦊🦊🦊\n", "\n", "");
        AnyTwoTextsOfRebuildTheOlderExactlyOrNone(lines);
    }

    [Theory]
    [InlineData("a long line of prose where one word changed\n", "a long line of prose where a word changed\n")]
    [InlineData("a long line of prose ending in 🦋 and more words\n", "a long line of prose ending in 🦊 and more words\n")]
    [InlineData("a long line of prose with 🐊 before more words\n", "a long line of prose with 🠊 before more words\n")]
    public void AWordChangedInALongLineKeepsOnlyWhatDiffersOfThatLine(string newLine, string oldLine)
    {
        var older = $"first line of the note\n{oldLine}last line of the note\n";
        var newer = $"first line of the note\n{newLine}last line of the note\n";

        var delta = LineDelta.Encode(newer, older);

        Assert.NotNull(delta);
        Assert.Equal(older, LineDelta.Apply(newer, delta));

        // The line's shared start and end are references into the newer text ([line, offset, length]);
        // its own text is the few characters that differ.
        Assert.DoesNotContain("long line of prose", delta, StringComparison.Ordinal);
        Assert.Contains("[1,0,", delta, StringComparison.Ordinal);
    }

    [Fact]
    public void ADeltaOfWholeLinesOnlyAsSchemaSixWroteThemStillApplies()
    {
        Assert.Equal("one\nOLD two\nthree\n", LineDelta.Apply("one\ntwo\nthree\n", "[[0,1],\"OLD two\\n\",[2,1]]"));
    }

    [Fact]
    public void NotesPastTheLineBoundKeepTheirTextWhole()
    {
        var older = string.Concat(Enumerable.Range(0, LineDelta.MaxLines + 1).Select(i => $"{i}\n"));

        Assert.Null(LineDelta.Encode(older + "one more\n", older));
    }

    // Texts made of the given lines, any two: a delta, when one is made, is smaller than the older text and gives it back exactly.
    private static void AnyTwoTextsOfRebuildTheOlderExactlyOrNone(Gen<string> lines)
    {
        var text = Gen.ListOf(lines).Select(l => string.Concat(l));
        Prop.ForAll(text.ToArbitrary(), text.ToArbitrary(), (newer, older) =>
        {
            if (LineDelta.Encode(newer, older) is { } delta)
            {
                Assert.Equal(older, LineDelta.Apply(newer, delta));
                Assert.True(System.Text.Encoding.UTF8.GetByteCount(delta) < System.Text.Encoding.UTF8.GetByteCount(older));
            }
        }).QuickCheckThrowOnFailure();
    }
}
