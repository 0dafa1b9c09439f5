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
    public void NotesPastTheLineBoundKeepTheirTextWhole()
    {
        var older = string.Concat(Enumerable.Range(0, LineDelta.MaxLines + 1).Select(i => $"{i}\n"));

        Assert.Null(LineDelta.Encode(older + "one more\n", older));
    }
}
