using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>The quotas of a space (<see cref="SpaceQuotas"/>), counted and enforced the same on every store.</summary>
public abstract partial class SyncStoreContractTests
{
    private const long Plenty = 1L << 40;

    [Fact]
    public async Task PushOverTheNotesQuotaFailsWholeAndAppliesNothing()
    {
        // Arrange
        await RestartAsync(new SpaceQuotas(3, Plenty));
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "a")), ("note:b", new Write(2, "dev-a", "b")));

        // Act: two new notes where one fits; then the one alone; then an overwrite at the quota.
        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() => Store.ApplyAsync(
            SpaceA, [new KeyedWrite("note:c", new Write(3, "dev-a", "c")), new KeyedWrite("note:d", new Write(4, "dev-a", "d"))]).DefaultTimeout());
        var cursorAfterRefusal = await Store.GetCursorAsync(SpaceA).DefaultTimeout();
        var keysAfterRefusal = (await ReadAllAsync(SpaceA)).Keys.Order(StringComparer.Ordinal).ToArray();
        var fits = await ApplyAsync(SpaceA, ("note:c", new Write(5, "dev-a", "c")));
        var overwrite = await ApplyAsync(SpaceA, ("note:a", new Write(6, "dev-b", "a again")));

        // Assert: the message names the count and the setting; nothing of the refused push is in; the
        // quota itself is allowed, and a note overwritten adds none.
        Assert.Equal("the space would hold 4 notes, more than NoteSync:Limits:MaxNotesPerSpace (3); delete notes to make room", refused.Message);
        Assert.Equal(2, cursorAfterRefusal);
        Assert.Equal(["note:a", "note:b"], keysAfterRefusal);
        Assert.Single(fits.Changed);
        Assert.Single(overwrite.Changed);
        await Assert.ThrowsAsync<QuotaExceededException>(() => ApplyAsync(SpaceA, ("note:e", new Write(7, "dev-a", "e"))));
    }

    [Fact]
    public async Task PushOverTheBytesQuotaFailsWholeCountingKeysValuesDeviceIdsAndEveryTiedWrite()
    {
        // Arrange: the size of an entry, in UTF-8 bytes: key, each tied write's device id and value, and 64.
        Assert.Equal(6 + 5 + 10 + 64, SpaceQuotas.SizeOf("note:a", [new Write(1, "dev-a", "0123456789")]));
        await RestartAsync(new SpaceQuotas(Plenty, 250));

        // Act: a note of 85 bytes; a conflict of two writes (6 + 6 + 6 + 64 = 82); one more note of 85.
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "0123456789")));
        await ApplyAsync(SpaceA, ("note:t", new Write(2, "dev-a", "x")), ("note:t", new Write(2, "dev-b", "y")));
        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() => Store.ApplyAsync(
            SpaceA, [new KeyedWrite("note:b", new Write(3, "dev-a", "012345678é"))]).DefaultTimeout());
        var fits = await ApplyAsync(SpaceA, ("note:b", new Write(3, "dev-a", "0123")));

        // Assert: 85 + 82 + 86 (é is two bytes) is over 250; 85 + 82 + 79 is not.
        Assert.Equal("the space would hold 253 bytes, more than NoteSync:Limits:MaxSpaceBytes (250); delete notes or shorten them to make room", refused.Message);
        Assert.Single(fits.Changed);
        Assert.Equal(["note:a", "note:b", "note:t"], (await ReadAllAsync(SpaceA)).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PushThatShrinksOrKeepsUsageIsTakenEvenOverAQuotaLoweredSince()
    {
        // Arrange: four notes, then quotas below what the space already holds.
        await ApplyAsync(SpaceA, [.. Enumerable.Range(0, 4).Select(i => ($"note:{i}", new Write(1 + i, "dev-a", "0123456789")))]);
        await RestartAsync(new SpaceQuotas(2, 100));

        // Act: a delete, a shorter value, a value of the same length, and a re-send: none grows a measure.
        var deleted = await ApplyAsync(SpaceA, ("note:0", new Write(10, "dev-a", null)));
        var shortened = await ApplyAsync(SpaceA, ("note:1", new Write(11, "dev-a", "01234")));
        var same = await ApplyAsync(SpaceA, ("note:2", new Write(12, "dev-a", "abcdefghij")));
        var resent = await ApplyAsync(SpaceA, ("note:2", new Write(12, "dev-a", "abcdefghij")));

        // Assert: all taken; a new note or a longer value is still refused.
        Assert.All(new[] { deleted, shortened, same }, r => Assert.Single(r.Changed));
        Assert.Empty(resent.Changed);
        var newNote = await Assert.ThrowsAsync<QuotaExceededException>(() => ApplyAsync(SpaceA, ("note:new", new Write(13, "dev-a", "x"))));
        var longer = await Assert.ThrowsAsync<QuotaExceededException>(() => ApplyAsync(SpaceA, ("note:3", new Write(14, "dev-a", "0123456789+"))));
        Assert.StartsWith("the space would hold 4 notes, more than NoteSync:Limits:MaxNotesPerSpace (2)", newNote.Message, StringComparison.Ordinal);
        Assert.Contains("more than NoteSync:Limits:MaxSpaceBytes (100)", longer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TombstonesCountInBytesButNotInNotes()
    {
        // Arrange: room for one note, and for exactly a tombstone (6 + 5 + 64 = 75) and a note (76).
        await RestartAsync(new SpaceQuotas(1, 75 + 76));
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "v")));

        // Act: the note is deleted, which makes room for another; then a delete of a key never written.
        await ApplyAsync(SpaceA, ("note:a", new Write(2, "dev-a", null)));
        var another = await ApplyAsync(SpaceA, ("note:b", new Write(3, "dev-a", "v")));
        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() => ApplyAsync(SpaceA, ("note:c", new Write(4, "dev-a", null))));

        // Assert: the space held one note and a tombstone, exactly its bytes; a new tombstone adds 75.
        Assert.Single(another.Changed);
        Assert.Equal("the space would hold 226 bytes, more than NoteSync:Limits:MaxSpaceBytes (151); delete notes or shorten them to make room", refused.Message);
    }

    [Fact]
    public async Task UsageSurvivesARestart()
    {
        // Arrange: a note, a deleted one and a conflict, counted as they were written.
        await RestartAsync(new SpaceQuotas(3, Plenty));
        await ApplyAsync(SpaceA, ("note:a", new Write(1, "dev-a", "a")), ("note:gone", new Write(2, "dev-a", "g")));
        await ApplyAsync(SpaceA, ("note:gone", new Write(3, "dev-a", null)), ("note:t", new Write(4, "dev-a", "x")), ("note:t", new Write(4, "dev-b", "y")));
        var held = (await ReadAllAsync(SpaceA)).Sum(e => SpaceQuotas.SizeOf(e.Key, e.Value.State.Writes));

        // Act: quotas at two notes, and room for one more tombstone (6 + 5 + 64 = 75).
        await RestartAsync(new SpaceQuotas(2, held + 75));
        var tombstone = await ApplyAsync(SpaceA, ("note:b", new Write(5, "dev-a", null)));
        var notes = await Assert.ThrowsAsync<QuotaExceededException>(() => ApplyAsync(SpaceA, ("note:c", new Write(6, "dev-a", ""))));
        var bytes = await Assert.ThrowsAsync<QuotaExceededException>(() => ApplyAsync(SpaceA, ("note:a", new Write(7, "dev-a", "ab"))));

        // Assert: after the restart the store still knows its two notes and every byte.
        Assert.Single(tombstone.Changed);
        Assert.StartsWith("the space would hold 3 notes,", notes.Message, StringComparison.Ordinal);
        Assert.StartsWith($"the space would hold {held + 75 + 1} bytes,", bytes.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentPushesCannotGetRoundTheQuotaAndOtherSpacesAreNotAffected()
    {
        // Arrange
        await RestartAsync(new SpaceQuotas(10, Plenty));

        // Act: forty pushes of one new note each, all at once, and the same into another space.
        var pushes = Enumerable.Range(0, 40).Select(i => Store.ApplyAsync(SpaceA, [new KeyedWrite($"note:{i}", new Write(1 + i, $"dev-{i}", "v"))])).ToArray();
        var elsewhere = await ApplyAsync(SpaceB, [.. Enumerable.Range(0, 10).Select(i => ($"note:{i}", new Write(1 + i, "dev-b", "v")))]);
        var outcomes = await Task.WhenAll(pushes.Select(async p =>
        {
            try
            {
                await p.DefaultTimeout();
                return true;
            }
            catch (QuotaExceededException)
            {
                return false;
            }
        }));

        // Assert: exactly the quota went in, whatever the interleaving; the other space holds its own.
        Assert.Equal(10, outcomes.Count(taken => taken));
        Assert.Equal(10, (await ReadAllAsync(SpaceA)).Count);
        Assert.Equal(10, elsewhere.Changed.Count);
    }
}
