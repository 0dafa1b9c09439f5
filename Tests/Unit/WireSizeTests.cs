using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

/// <summary>Paging relies on the size estimate never being below what the frame really takes.</summary>
public sealed class WireSizeTests
{
    private static readonly string[] Pieces = ["a", "é", "日本", "😀", "\n", "\"", "\\", "\u0001", "<tag>", " ", "\u2028", "\u00a0", "\u3000", "\ue000", "\ufffe"];

    [Fact]
    public void EstimateIsAnUpperBoundOfTheSerializedEntry()
    {
        var text = Gen.ArrayOf(Gen.Elements(Pieces)).Select(string.Concat);
        Prop.ForAll(text.ToArbitrary(), text.ToArbitrary(), (key, value) =>
        {
            var entry = new StoredEntry("note:" + key, 1, EntryState.Of(new Write(123456, "device-" + key, value)));
            var actual = JsonSerializer.SerializeToUtf8Bytes(entry.State.ToChange(entry.Key), NoteSyncJsonContext.Wire.Change).Length;
            return entry.EstimatedWireBytes >= actual;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void EstimateOfAStringAloneIsAnUpperBound()
    {
        var text = Gen.ArrayOf(Gen.Elements(Pieces)).Select(string.Concat);
        Prop.ForAll(text.ToArbitrary(), s =>
            WireSize.Of(s) >= JsonSerializer.SerializeToUtf8Bytes(s, NoteSyncJsonContext.Wire.Options).Length).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void PlainAsciiIsEstimatedExactlyByItsLengthPlusQuotes()
    {
        Assert.Equal(2 + 5, WireSize.Of("hello"));
        Assert.Equal(4, WireSize.Of(null));
    }
}
