using NoteSync.Server.Stores.Redis;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Client;

/// <summary>A client catching up: in pages on <c>more</c>, and through a reset when the server lost its data.</summary>
public sealed class ClientCatchUpTests
{
    private static readonly Dictionary<string, string> SmallPages = new()
    {
        ["NoteSync__Sync__MaxChangesPerAck"] = "50",
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FreshClientPullsEveryPage(bool webSocket)
    {
        // Arrange: 250 notes on the server, pages of 50.
        await using var server = await ServerProcess.StartAsync(SmallPages);
        await using var writer = HttpDevice.Create(server, "writer");
        for (var batch = 0; batch < 5; batch++)
        {
            await writer.PutManyAsync(Enumerable.Range(batch * 50, 50).Select(i => ($"note:n/{i}", (string?)$"v{i}")));
        }

        // Act
        using var dir = new TempDirectory();
        await using var client = ClientKit.Start(server, "fresh", dir.Path, webSocket);
        await client.SyncBoundedAsync();

        // Assert: every note, and the cursor at the server's.
        Assert.Equal(250, client.List("n/").Count);
        Assert.Equal("v249", client.Get("n/249"));
        Assert.Equal(writer.Cursor, client.LastAck);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task ClientIsResetWhenTheServerLostEverythingAndPutsItsNotesBack(string store)
    {
        // Arrange: a client synced far ahead, then the store loses the space (SQLite: a wiped data
        // directory; Redis: the space's keys gone, as in a Redis that came back empty).
        await using var server = await ServerProcess.StartOnStoreAsync(store);
        using var dir = new TempDirectory();
        await using var client = ClientKit.Start(server, "laptop", dir.Path);
        await client.PutWithTimestampAsync("old", "before the loss", 5000);
        await client.SyncBoundedAsync();
        Assert.True(client.LastAck >= 5000);
        var oldEpoch = client.Epoch;
        if (store == TestStores.Sqlite)
        {
            server.Kill();
            foreach (var entry in Directory.GetFileSystemEntries(server.DataDir))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }

            await server.StartAgainAsync();
        }
        else
        {
            await using var redis = await server.Redis!.ConnectAsync();
            await redis.GetDatabase().KeyDeleteAsync(RedisKeys.For("default"));
        }

        // Act: another device writes on the emptied store, below the client's cursor.
        await using var other = HttpDevice.Create(server, "other");
        await other.PutAsync("note:after", "written after the loss");
        await client.SyncBoundedAsync();

        // Assert: the client was reset (cursor and epoch from the new history), has the new note, and put
        // back the note the store lost, with its own timestamp.
        await ClientKit.WaitUntilAsync(() => client.Get("after") == "written after the loss" && !client.IsResetting, "the reset to end");
        Assert.Equal("before the loss", client.Get("old"));
        await ServerNotes.WaitForAsync(server, new Dictionary<string, string> { ["note:after"] = "written after the loss", ["note:old"] = "before the loss" });
        await other.PullAsync();
        Assert.Equal(5000, other.StateOf("note:old")!.Timestamp);
        Assert.NotNull(client.Epoch);
        Assert.NotEqual(oldEpoch, client.Epoch);
    }
}
