using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// <see cref="NoteSyncClient.PutAsync(string, string, IReadOnlyList{NoteVersionId}, CancellationToken)"/>: a text edited
/// outside the library (a file while no sync ran) goes up as an edit of the heads it was read with
/// (<see cref="NoteSyncClient.GetHeads"/>), so a version received meanwhile stays beside it on every device; a base
/// the server would refuse is refused here, and nothing is written.
/// </summary>
public sealed class ClientEditedFromTests
{
    private const string Trip = "trip.md";

    [Fact]
    public async Task AnEditOfTheHeadsReadEarlierKeepsTheVersionReceivedSinceOnEveryDevice()
    {
        // Arrange: both clients hold v1; the laptop reads it (as the CLI reads it into a file).
        await using var server = await InProcessServer.StartAsync();
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        await using var laptop = ClientKit.Start(server, "laptop", laptopDir.Path);
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path);
        await laptop.PutAsync(Trip, "v1");
        await laptop.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => phone.Get(Trip) == "v1", "the phone to have v1");
        var readWith = laptop.GetHeads(Trip);

        // Act: the phone's edit reaches the laptop's replica; then the laptop writes its edit of v1.
        await phone.PutAsync(Trip, "phone's edit");
        await phone.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => laptop.Get(Trip) == "phone's edit", "the laptop to receive the phone's edit");
        await laptop.PutAsync(Trip, "laptop's edit", [.. readWith.Select(h => h.Id)]);

        // Assert: a conflict at once on the laptop, then on the phone, the laptop's (the newer clock) shown.
        Assert.Equal(["laptop's edit", "phone's edit"], laptop.GetHeads(Trip).Select(h => h.Value));
        await laptop.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => phone.GetConflicts().Count == 1, "the phone to see the conflict");
        var conflict = Assert.Single(phone.GetConflicts());
        Assert.Equal(("laptop's edit", "laptop"), (conflict.Winner.Value, conflict.Winner.DeviceId));
        Assert.Equal("phone's edit", Assert.Single(conflict.Siblings).Value);
        Assert.Single(readWith);
        Assert.Equal(("v1", "laptop"), (readWith[0].Value, readWith[0].DeviceId));
    }

    [Fact]
    public async Task ABaseTheServerWouldRefuseIsRefusedAndNothingIsWritten()
    {
        await using var server = await InProcessServer.StartAsync();
        using var dir = new TempDirectory();
        await using var client = ClientKit.Create(server, "laptop", dir.Path);
        await client.PutAsync(Trip, "v1");
        var bad = new (IReadOnlyList<NoteVersionId> Base, string Message)[]
        {
            ([new NoteVersionId(0, "phone")], "a timestamp from 1 to"),
            ([new NoteVersionId(3, "pho\u001bne")], "must not contain control characters"),
            ([.. Enumerable.Range(1, 65).Select(i => new NoteVersionId(i, "phone"))], "at most 64 versions, not 65"),
        };

        foreach (var (@base, message) in bad)
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => client.PutAsync(Trip, "edit", @base));
            Assert.Contains(message, error.Message, StringComparison.Ordinal);
        }

        Assert.Equal("v1", client.Get(Trip));
        Assert.Equal(1, client.Status.OutboxDepth);

        // A version named twice is named once; 64 distinct ones are taken.
        await client.PutAsync(Trip, "edit", [.. Enumerable.Range(1, 64).Select(i => new NoteVersionId(i, "phone")), new NoteVersionId(64, "phone")]);
        Assert.Equal("edit", client.Get(Trip));
    }
}
