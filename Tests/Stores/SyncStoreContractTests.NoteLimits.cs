using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>The bounds on a note's tied writes (<see cref="NoteLimits"/>), the same on every store.</summary>
public abstract partial class SyncStoreContractTests
{
    private static readonly NoteLimits Notes = NoteLimits.Default;

    [Fact]
    public async Task WriteJoiningANoteBeyondItsWriteBoundFailsTheWholePushAndAHigherTimestampStillReplacesThem()
    {
        // Arrange: the note holds as many tied writes as allowed, one per device.
        for (var d = 0; d < Notes.MaxWritesPerNote; d++)
        {
            await ApplyAsync(SpaceA, ("note:bomb", new Write(100, $"dev-{d:D2}", $"value {d}")));
        }

        // Act: a push of an honest change and one more tied write; then a write above the tie.
        var refused = await Assert.ThrowsAsync<NoteLimitException>(() => Store.ApplyAsync(
            SpaceA, [new KeyedWrite("note:other", new Write(101, "dev-a", "honest")), new KeyedWrite("note:bomb", new Write(100, "dev-x", "one too many"))]).DefaultTimeout());
        var duplicate = await ApplyAsync(SpaceA, ("note:bomb", new Write(100, "dev-00", "value 0")));
        var resolved = await ApplyAsync(SpaceA, ("note:bomb", new Write(101, "dev-x", "resolved")));

        // Assert: the error names the change and the setting; nothing of its push is in; a re-send of a
        // write already held is no join, and the higher timestamp replaced them all.
        Assert.StartsWith($"changes[1] would give its note more than {Notes.MaxWritesPerNote} versions kept side by side", refused.Message, StringComparison.Ordinal);
        Assert.Contains("NoteSync:Limits:MaxWritesPerNote", refused.Message, StringComparison.Ordinal);
        Assert.Empty(duplicate.Changed);
        Assert.Single(resolved.Changed);
        var all = await ReadAllAsync(SpaceA);
        Assert.Equal(["note:bomb"], all.Keys);
        Assert.True(all["note:bomb"].State.IsExactly(new Write(101, "dev-x", "resolved")));
    }

    [Fact]
    public async Task WriteJoiningANoteBeyondItsByteBoundFailsTheWholePush()
    {
        // Arrange: tied writes just under the bound together (values and device ids, in UTF-8 bytes).
        var quarter = (int)(Notes.MaxNoteBytes / 4) - 16;
        for (var d = 0; d < 4; d++)
        {
            await ApplyAsync(SpaceA, ("note:big", new Write(100, $"dev-{d}", new string((char)('a' + d), quarter))));
        }

        var held = NoteLimits.SizeOf((await ReadAllAsync(SpaceA))["note:big"].State.Writes);

        // Act: a small tied write that fits, then one that does not, counted in UTF-8 bytes (é is two).
        var room = (int)(Notes.MaxNoteBytes - held) - "dev-s".Length;
        await ApplyAsync(SpaceA, ("note:big", new Write(100, "dev-s", new string('s', room))));
        var refused = await Assert.ThrowsAsync<NoteLimitException>(() => ApplyAsync(SpaceA, ("note:big", new Write(100, "dev-t", "é"))));

        // Assert: the note is exactly at the bound, and the refusal names its size and the setting.
        var entry = (await ReadAllAsync(SpaceA))["note:big"];
        Assert.Equal(5, entry.State.Writes.Length);
        Assert.Equal(Notes.MaxNoteBytes, NoteLimits.SizeOf(entry.State.Writes));
        Assert.StartsWith($"changes[0] would make its note's versions kept side by side {Notes.MaxNoteBytes + 7} bytes, more than {Notes.MaxNoteBytes} (NoteSync:Limits:MaxNoteBytes)", refused.Message, StringComparison.Ordinal);
    }
}
