using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>
/// Writes with a base (docs/protocol.md §2): a store keeps a key's heads, each with its own timestamp,
/// and what they replaced, across restarts, exactly as the merge in <c>Shared</c> computes them.
/// </summary>
public abstract partial class SyncStoreContractTests
{
    private static readonly Write V1 = new(1, "laptop", "v1");
    private static readonly Write PhoneEdit = new(50, "phone", "phone's edit");
    private static readonly Write LaptopEdit = new(5, "laptop", "laptop's edit");

    [Fact]
    public async Task AnOfflineEditWithALowerClockIsKeptBesideTheEditItDidNotSee()
    {
        // Arrange: both devices had v1; the phone's edit (timestamp 50) is stored first.
        await ApplyBasedAsync(SpaceA, "note:trip", V1, []);
        await ApplyBasedAsync(SpaceA, "note:trip", PhoneEdit, [VersionId.Of(V1)]);

        // Act: the laptop comes back online with its edit at timestamp 5.
        var result = await ApplyBasedAsync(SpaceA, "note:trip", LaptopEdit, [VersionId.Of(V1)]);
        await RestartAsync();

        // Assert: the laptop's write changed the key (a seq), and both edits are heads, before and after a restart.
        Assert.Equal(51, Assert.Single(result.Changed).Seq);
        var entry = (await ReadAllAsync(SpaceA))["note:trip"];
        Assert.Equal([PhoneEdit, LaptopEdit], entry.State.Writes.ToArray());
        Assert.True(entry.State.IsConflict);
        Assert.Equal(ReplacedVersions.Of(0, [VersionId.Of(V1)]), entry.State.Replaced);
    }

    [Fact]
    public async Task AWriteNamingBothHeadsResolvesThemAndAReSentHeadStaysReplacedAfterARestart()
    {
        // Arrange
        await ApplyBasedAsync(SpaceA, "note:trip", V1, []);
        await ApplyBasedAsync(SpaceA, "note:trip", PhoneEdit, [VersionId.Of(V1)]);
        await ApplyBasedAsync(SpaceA, "note:trip", LaptopEdit, [VersionId.Of(V1)]);
        var resolved = new Write(51, "laptop", "both edits");
        await ApplyBasedAsync(SpaceA, "note:trip", resolved, [VersionId.Of(PhoneEdit), VersionId.Of(LaptopEdit)]);
        await RestartAsync();

        // Act: the laptop's old edit arrives again (a re-send after a lost answer).
        var again = await ApplyBasedAsync(SpaceA, "note:trip", LaptopEdit, [VersionId.Of(V1)]);

        // Assert: nothing changed; the answer's superseded state is the resolution.
        Assert.Empty(again.Changed);
        var superseded = Assert.Single(again.Superseded);
        Assert.Equal([resolved], superseded.State.Writes.ToArray());
        var entry = (await ReadAllAsync(SpaceA))["note:trip"];
        Assert.Equal([resolved], entry.State.Writes.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomEditsOfSeveralDevicesLeaveTheStateTheSharedMergeComputes(int seed)
    {
        // Arrange: three devices edit three keys from what they last read, offline or not; a script
        // writes without base. Their pushes (one to three writes each) reach the store in a random
        // order that keeps each device's own order; the model is the merge in Shared.
        var random = new Random(seed);
        string[] keys = ["note:a", "note:b", "note:c"];
        string?[] values = [null, "x", "y", "z"];
        var model = new Dictionary<string, EntryState>(StringComparer.Ordinal);
        var clocks = new Dictionary<string, long> { ["laptop"] = 0, ["phone"] = 0, ["tablet"] = 0, ["script"] = 0 };
        var seen = new Dictionary<(string Device, string Key), EntryState>();

        for (var push = 0; push < 120; push++)
        {
            var device = clocks.Keys.ElementAt(random.Next(clocks.Count));
            var writes = new List<KeyedWrite>();
            foreach (var key in keys.OrderBy(_ => random.Next()).Take(random.Next(1, 4)))
            {
                var timestamp = clocks[device] = clocks[device] + 1 + random.Next(3);
                var write = new Write(timestamp, device, values[random.Next(values.Length)]);
                VersionId[]? @base = device == "script"
                    ? null
                    : [.. (seen.GetValueOrDefault((device, key))?.Writes.ToArray() ?? []).Select(w => VersionId.Of(w)).Where(id => id.Timestamp < timestamp)];
                writes.Add(new KeyedWrite(key, write, @base));
            }

            // Act
            await Store.ApplyAsync(SpaceA, writes).DefaultTimeout();
            foreach (var write in writes)
            {
                model[write.Key] = write.MergeInto(model.GetValueOrDefault(write.Key), out _);
            }

            // The device reads what it wrote to (and now and then everything), and follows the clock.
            var read = random.Next(4) == 0 ? keys : writes.Select(w => w.Key);
            foreach (var key in read)
            {
                if (model.TryGetValue(key, out var state))
                {
                    seen[(device, key)] = state;
                    clocks[device] = Math.Max(clocks[device], state.Timestamp);
                }
            }

            if (push == 60)
            {
                await RestartAsync();
            }
        }

        // Assert: the store holds the model's heads and replaced versions for every key, and again after a restart.
        await AssertHoldsAsync(model);
        await RestartAsync();
        await AssertHoldsAsync(model);
    }

    private async Task AssertHoldsAsync(Dictionary<string, EntryState> model)
    {
        var stored = await ReadAllAsync(SpaceA);
        Assert.Equal(model.Keys.Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, expected) in model)
        {
            var actual = stored[key].State;
            Assert.True(
                expected.Writes.SequenceEqual(actual.Writes) && expected.Replaced.Equals(actual.Replaced),
                $"{key}: expected {StateAssert.Describe(expected)} {Describe(expected.Replaced)}, stored {StateAssert.Describe(actual)} {Describe(actual.Replaced)}");
        }
    }

    private static string Describe(ReplacedVersions replaced) =>
        $"floor {replaced.Floor}, named [{string.Join(", ", replaced.Named.ToArray().Select(n => $"{n.DeviceId}@{n.Timestamp}"))}]";

    private protected Task<ApplyResult> ApplyBasedAsync(string space, string key, Write write, VersionId[] @base) =>
        Store.ApplyAsync(space, [new KeyedWrite(key, write, @base)]).DefaultTimeout();
}
