using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.Unit;

/// <summary>An entry is its key, seq and state: whether its wire size was asked for must not change what it equals.</summary>
public sealed class StoredEntryTests
{
    private static readonly EntryState State = EntryState.Of(new Write(5, "dev-a", "hello"));

    [Fact]
    public void EntriesEqualWhetherOrNotTheirSizeWasComputed()
    {
        var sized = new StoredEntry("note:a", 5, State);
        var fresh = new StoredEntry("note:a", 5, State);

        _ = sized.EstimatedWireBytes;

        Assert.Equal(fresh, sized);
        Assert.Equal(fresh.GetHashCode(), sized.GetHashCode());
    }

    [Fact]
    public void EntriesDifferingInKeySeqOrStateAreNotEqual()
    {
        var entry = new StoredEntry("note:a", 5, State);

        Assert.NotEqual(entry, entry with { Key = "note:b" });
        Assert.NotEqual(entry, entry with { Seq = 6 });
        Assert.NotEqual(entry, entry with { State = EntryState.Of(new Write(5, "dev-a", "hello")) });
    }

    [Fact]
    public void ACopyWithAnotherStateIsSizedForThatState()
    {
        var small = new StoredEntry("note:a", 5, State);
        _ = small.EstimatedWireBytes;

        var large = small with { State = EntryState.Of(new Write(5, "dev-a", new string('x', 10_000))) };

        Assert.True(large.EstimatedWireBytes > 10_000, $"the copy kept the original's size {large.EstimatedWireBytes}");
    }
}
