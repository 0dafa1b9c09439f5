using System.Text.Json;
using NoteSync.Client;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// Two <see cref="NoteSyncClient"/>s editing one note without seeing each other (docs/client.md, "Conflicts"):
/// every local write carries its base, so both edits are kept as a conflict on both clients and on the server
/// whichever clock is ahead, over the hub and over polling, on SQLite and on Redis; one resolution clears it
/// everywhere; and an unacknowledged edit goes out again after a restart with the very same base.
/// </summary>
public sealed class ClientConcurrentEditTests
{
    private const string Trip = "trip.md";

    /// <summary>(store, hub rather than polling, the laptop's clock far ahead of the phone's.)</summary>
    public static TheoryData<string, bool, bool> TrainScenarios => new()
    {
        { TestStores.Sqlite, true, true },
        { TestStores.Sqlite, true, false },
        { TestStores.Sqlite, false, true },
        { TestStores.Sqlite, false, false },
        { TestStores.Redis, true, true },
        { TestStores.Redis, false, false },
    };

    [Theory]
    [MemberData(nameof(TrainScenarios))]
    public async Task EditsMadeWithoutSeeingEachOtherAreBothKeptAndOneResolutionClearsThemEverywhere(string store, bool webSocket, bool laptopClockAhead)
    {
        // Arrange: both clients hold v1 of trip.md; then the laptop goes on the train (stopped, its writes queued).
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path, webSocket);
        await using (var online = ClientKit.Start(server, "laptop", laptopDir.Path, webSocket))
        {
            await online.PutAsync(Trip, "v1");
            await online.SyncBoundedAsync();
        }

        await ClientKit.WaitUntilAsync(() => phone.Get(Trip) == "v1", "the phone to have v1");
        await using var laptop = ClientKit.Create(server, "laptop", laptopDir.Path, webSocket);

        // Act 1: one device's clock runs far ahead (it writes many other notes), then each edits v1, the phone
        // online, the laptop offline; the laptop comes back. Under the timestamp rule alone one edit would be lost.
        var ahead = laptopClockAhead ? laptop : phone;
        await ahead.WriteManyAsync([.. Enumerable.Range(0, 50).Select(i => new KeyValuePair<string, string?>($"other/{i}.md", $"note {i}"))]);
        await laptop.PutAsync(Trip, "laptop's edit");
        await phone.PutAsync(Trip, "phone's edit");
        await phone.SyncBoundedAsync();
        var laptopChanges = new List<RemoteChange>();
        laptop.RemoteChanged += (_, c) =>
        {
            lock (laptopChanges)
            {
                laptopChanges.Add(c);
            }
        };
        laptop.Start();
        await laptop.SyncBoundedAsync();
        await phone.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => laptop.GetConflicts().Count == 1 && phone.GetConflicts().Count == 1, "the conflict on both clients");

        // Assert 1: both edits on both clients and on the server; the higher clock's shows, the other is its
        // sibling at a lower timestamp (not a tie); the laptop was told of a conflict, not of a lost write.
        var (winner, sibling) = laptopClockAhead ? ("laptop's edit", "phone's edit") : ("phone's edit", "laptop's edit");
        foreach (var client in new[] { laptop, phone })
        {
            var conflict = Assert.Single(client.GetConflicts());
            Assert.Equal(Trip, conflict.Path);
            Assert.Equal(winner, conflict.Winner.Value);
            var lower = Assert.Single(conflict.Siblings);
            Assert.Equal(sibling, lower.Value);
            Assert.True(lower.Timestamp < conflict.Winner.Timestamp, $"the sibling's timestamp {lower.Timestamp} is below the winner's {conflict.Winner.Timestamp}");
            Assert.Equal(winner, client.Get(Trip));
        }

        lock (laptopChanges)
        {
            Assert.Contains(laptopChanges, c => c.Path == Trip && c.IsConflict);
            Assert.DoesNotContain(laptopChanges, c => c.LostLocalWrite is not null);
        }

        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        var onServer = observer.StateOf("note:" + Trip)!;
        Assert.Equal([winner, sibling], onServer.Writes.ToArray().Select(w => w.Value));

        // Act 2: the device behind resolves (so its write must name the higher head it did not write).
        var (resolver, other) = laptopClockAhead ? (phone, laptop) : (laptop, phone);
        await resolver.ResolveAsync(Trip, "both edits");
        await resolver.SyncBoundedAsync();
        await other.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => other.Get(Trip) == "both edits" && other.GetConflicts().Count == 0, "the resolution on the other client");

        // Assert 2: one version everywhere.
        Assert.Empty(resolver.GetConflicts());
        Assert.Equal("both edits", resolver.Get(Trip));
        await observer.PullAsync();
        Assert.Equal(["both edits"], observer.StateOf("note:" + Trip)!.Writes.ToArray().Select(w => w.Value));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnUnacknowledgedEditGoesOutAgainAfterARestartWithTheSameBaseAndChangesNothing(bool webSocket)
    {
        // Arrange: both hold v1; the phone edits it; the laptop, stopped meanwhile, edits v1 too.
        await using var server = await InProcessServer.StartAsync();
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path, webSocket);
        long v1;
        await using (var online = ClientKit.Start(server, "laptop", laptopDir.Path, webSocket))
        {
            await online.PutAsync(Trip, "v1");
            await online.SyncBoundedAsync();
            v1 = online.GetVersion(Trip)!.Timestamp;
        }

        await ClientKit.WaitUntilAsync(() => phone.Get(Trip) == "v1", "the phone to have v1");
        await phone.PutAsync(Trip, "phone's edit");
        await phone.SyncBoundedAsync();
        var firstSends = new List<string>();
        await using (var laptop = ClientKit.Create(server, "laptop", laptopDir.Path, webSocket))
        {
            await laptop.PutAsync(Trip, "laptop's edit");

            // Act 1: it reaches the server, but every answer is lost, so it stays unacknowledged in the outbox.
            laptop.Hooks.PushSending = push => Record(firstSends, push);
            laptop.Hooks.LoseAck = _ => true;
            laptop.Start();
            await ClientKit.WaitUntilAsync(() => Count(firstSends) > 0, "the laptop to send its edit");
            await ClientKit.WaitUntilAsync(() => phone.GetConflicts().Count == 1, "the server to hold the edit");
        }

        await using var observer = HttpDevice.Create(server, "observer");
        var before = await observer.PullAsync();

        // Act 2: the laptop opens again on its store and sends it again.
        var secondSends = new List<string>();
        await using var reopened = ClientKit.Create(server, "laptop", laptopDir.Path, webSocket);
        Assert.Equal(1, reopened.Status.OutboxDepth);
        reopened.Hooks.PushSending = push => Record(secondSends, push);
        reopened.Start();
        await reopened.SyncBoundedAsync();

        // Assert: byte for byte the change sent before the restart, its base the version the laptop edited...
        var sent = Assert.Single(Distinct(firstSends));
        Assert.Equal(sent, Assert.Single(Distinct(secondSends)));
        var change = JsonSerializer.Deserialize(sent, NoteSyncJsonContext.Wire.Change)!;
        Assert.Equal(new[] { (v1, "laptop") }, change.Base!.Select(b => (b.Timestamp, b.DeviceId)));

        // ...and it changed nothing: the server's clock did not move, and every device holds the same conflict.
        var after = await observer.PullAsync();
        Assert.Equal(before.AckTimestamp, after.AckTimestamp);
        Assert.Empty(after.Changes);
        await ClientKit.WaitUntilAsync(() => reopened.GetConflicts().Count == 1, "the laptop to hold the conflict");
        foreach (var client in new[] { reopened, phone })
        {
            var conflict = Assert.Single(client.GetConflicts());
            Assert.Equal(["laptop's edit", "phone's edit"], new[] { conflict.Winner.Value, Assert.Single(conflict.Siblings).Value }.Order(StringComparer.Ordinal));
        }
    }

    /// <summary>Keeps the JSON of each trip.md change a push carries.</summary>
    private static void Record(List<string> sends, SyncPush push)
    {
        lock (sends)
        {
            sends.AddRange(push.Changes.Where(c => c.Key == "note:" + Trip).Select(c => JsonSerializer.Serialize(c, NoteSyncJsonContext.Wire.Change)));
        }
    }

    private static int Count(List<string> sends)
    {
        lock (sends)
        {
            return sends.Count;
        }
    }

    private static List<string> Distinct(List<string> sends)
    {
        lock (sends)
        {
            return [.. sends.Distinct(StringComparer.Ordinal)];
        }
    }
}
