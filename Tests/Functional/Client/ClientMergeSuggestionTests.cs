using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// <see cref="NoteSyncClient.GetMergeSuggestionAsync"/> against a real server (docs/client.md): two edits of one
/// line of one version come back as text with git-style markers around that line and the other side's change
/// taken; a note in no conflict is a <see cref="KeyNotFoundException"/>; over the hub and over the HTTP GET.
/// </summary>
public sealed class ClientMergeSuggestionTests
{
    private const string Key = "note:trip.md";
    private const string Trip = "# Trip\nDay 1: Lyon\nDay 2: Annecy\nDay 3: Geneva\nPack: boots\n";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TwoEditsOfOneLineComeBackWithMarkersAndTheOtherLineMerged(bool webSocket)
    {
        // Arrange: the tablet edits v1 without seeing the phone's edit of it (a higher clock, so the phone's wins).
        await using var server = await InProcessServer.StartAsync();
        await using var phone = HttpDevice.Create(server, "phone");
        await using var tablet = HttpDevice.Create(server, "tablet");
        await phone.EditAsync(Key, Trip);
        await tablet.PullAsync();
        var onTrain = tablet.EditOf(Key, Trip.Replace("Day 2: Annecy", "Day 2: Chamonix", StringComparison.Ordinal).Replace("Pack: boots", "Pack: skis", StringComparison.Ordinal));
        await phone.EditAsync(Key, Trip.Replace("Day 2: Annecy", "Day 2: rest", StringComparison.Ordinal), timestamp: onTrain.Timestamp + 100);
        await tablet.PushAsync(tablet.NewPush(onTrain));
        await phone.EditAsync("note:other.md", "no conflict");
        using var laptopDir = new TempDirectory();
        await using var laptop = ClientKit.Start(server, "laptop", laptopDir.Path, webSocket);
        await laptop.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => laptop.Status.Transport == (webSocket ? SyncTransport.WebSocket : SyncTransport.Polling), "the transport under test");

        // Act
        var merge = await laptop.GetMergeSuggestionAsync("trip.md");
        var none = await Assert.ThrowsAsync<KeyNotFoundException>(() => laptop.GetMergeSuggestionAsync("other.md"));

        // Assert: the line both changed is marked (the winner's side first); the line only the tablet changed is taken.
        Assert.Equal(new MergeSuggestionResult(false, "# Trip\nDay 1: Lyon\n<<<<<<< phone\nDay 2: rest\n=======\nDay 2: Chamonix\n>>>>>>> tablet\nDay 3: Geneva\nPack: skis\n"), merge);
        Assert.NotEmpty(none.Message);
        Assert.Single(laptop.GetConflicts());
    }
}
