using Microsoft.Data.Sqlite;
using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// A live push the client cannot store is not lost: the replica changes only once a frame's transaction
/// commits, the failure is reported as StoreFailed, the later live pushes do not carry the saved cursor
/// past it, and once the store can be written again the change arrives, in memory and on disk. The
/// failure is the store's own error for a full disk, raised where the save happens (CliDiskFullTests
/// fills a real disk under the CLI).
/// </summary>
public sealed class ClientStoreFailureTests
{
    [Fact]
    public async Task ALivePushThatCannotBeStoredArrivesOnceTheStoreCanBeWrittenAgain()
    {
        // Arrange: a client on the hub, in sync.
        await using var server = await InProcessServer.StartAsync();
        using var dir = new TempDirectory();
        var client = ClientKit.Create(server, "laptop", dir.Path, webSocket: true);
        await using var owned = client;
        var diskFull = 0;
        client.Hooks.BeforeFrameStored = ack =>
        {
            if (Volatile.Read(ref diskFull) == 1 && ack.Changes.Count > 0)
            {
                throw new SqliteException("SQLite Error 13: 'database or disk is full'.", 13);
            }
        };
        client.Start();
        await client.PutAsync("first.md", "first");
        await client.SyncBoundedAsync();
        await using var writer = HttpDevice.Create(server, "writer");

        // Act: the disk is full; another device writes a note, then another (two live pushes; the second
        // one's save would succeed, as a small write into a full disk's spare pages can).
        Volatile.Write(ref diskFull, 1);
        await writer.PutAsync("note:big.md", "big");
        await ClientKit.WaitUntilAsync(() => client.Status.State == ConnectionState.StoreFailed, "the client to report it cannot store the change");
        var failed = client.Status;
        Volatile.Write(ref diskFull, 0);
        await writer.PutAsync("note:small.md", "small");

        // Assert: said, with the reason; the change was not taken into memory before it was stored.
        Assert.Contains("could not be written", failed.LastError, StringComparison.Ordinal);
        Assert.Contains("disk is full", failed.LastError, StringComparison.Ordinal);

        // Assert: both notes arrive, and the store has them after a restart.
        await ClientKit.WaitUntilAsync(() => client.Get("big.md") == "big" && client.Get("small.md") == "small", "the changes to arrive once the store could be written");
        await client.DisposeAsync();
        await using var reopened = ClientKit.Create(server, "laptop", dir.Path, webSocket: true);
        Assert.Equal("big", reopened.Get("big.md"));
        Assert.Equal("small", reopened.Get("small.md"));
    }

    [Fact]
    public async Task AFrameThatCannotBeStoredLeavesTheReplicaAsTheStoreHasIt()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        using var dir = new TempDirectory();
        await using var writer = HttpDevice.Create(server, "writer");
        await writer.PutAsync("note:a.md", "from the server");
        await using var client = ClientKit.Create(server, "laptop", dir.Path, webSocket: false);
        var failing = 1;
        client.Hooks.BeforeFrameStored = ack =>
        {
            if (Volatile.Read(ref failing) == 1 && ack.Changes.Count > 0)
            {
                throw new SqliteException("SQLite Error 13: 'database or disk is full'.", 13);
            }
        };

        // Act: the answer bringing the note cannot be stored.
        client.Start();
        await ClientKit.WaitUntilAsync(() => client.Status.State == ConnectionState.StoreFailed, "the client to report it cannot store the answer");

        // Assert: not in memory either, and the cursor did not move.
        Assert.Null(client.Get("a.md"));
        Assert.Equal(0, client.LastAck);

        // Act: the store can be written again.
        Volatile.Write(ref failing, 0);

        // Assert
        await ClientKit.WaitUntilAsync(() => client.Get("a.md") == "from the server", "the note to arrive");
    }
}
