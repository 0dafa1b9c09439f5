using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// The library's history API against a real server (docs/client.md, "History, versions and the trash"): a note's
/// versions with who, when and from what, one version's text, the trash, a restore and an undelete, each an
/// ordinary write that reaches another device; over the hub's methods and over the HTTP GETs, on SQLite and Redis;
/// and the server out of reach.
/// </summary>
public sealed class ClientHistoryTests
{
    private const string Trip = "trip.md";

    /// <summary>(store, hub rather than polling.)</summary>
    public static TheoryData<string, bool> Transports => new()
    {
        { TestStores.Sqlite, true },
        { TestStores.Sqlite, false },
        { TestStores.Redis, true },
    };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task VersionsTrashRestoreAndUndeleteReachAnotherDevice(string store, bool webSocket)
    {
        // Arrange: v1, then v2, then a delete, each synced; the phone follows.
        await using var server = await InProcessServer.StartOnStoreAsync(store);
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        await using var laptop = ClientKit.Start(server, "laptop", laptopDir.Path, webSocket);
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path, webSocket);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        foreach (var value in new[] { "v1", "v2!", null })
        {
            await (value is null ? laptop.DeleteAsync(Trip) : laptop.PutAsync(Trip, value));
            await laptop.SyncBoundedAsync();
        }

        var after = DateTimeOffset.UtcNow.AddSeconds(1);
        await ClientKit.WaitUntilAsync(() => laptop.Status.Transport == (webSocket ? SyncTransport.WebSocket : SyncTransport.Polling), "the transport under test");

        // Act 1
        var history = await laptop.GetHistoryAsync(Trip);
        var v1 = history[^1];
        var v1Text = await laptop.GetVersionAsync(Trip, v1.Id.Timestamp, v1.Id.DeviceId);
        var missing = await Assert.ThrowsAsync<KeyNotFoundException>(() => laptop.GetVersionAsync(Trip, 999_999, "laptop"));
        var trashed = Assert.Single(await laptop.GetTrashAsync());

        // Assert 1: newest first, each with its writer, time, size, and what it was edited from.
        Assert.Equal([(true, true, 0L), (false, false, 3L), (false, false, 2L)], history.Select(v => (v.IsDeleted, v.IsHead, v.Bytes)));
        Assert.All(history, v => Assert.Equal("laptop", v.Id.DeviceId));
        Assert.All(history, v => Assert.InRange(v.CommittedAt, before, after));
        Assert.Equal(history[1].Id, Assert.Single(history[0].Base!));
        Assert.Empty(v1.Base!);
        Assert.Equal("v1", v1Text);
        Assert.Contains("999999", missing.Message, StringComparison.Ordinal);
        Assert.Equal((Trip, history[0].Id, "v2!"), (trashed.Path, trashed.Deletion, trashed.Last!.Value));
        Assert.InRange(trashed.DeletedAt, before, after);

        // Act 2: restore v1, an edit of the delete, and let it reach the phone.
        var restored = await laptop.RestoreAsync(Trip, v1.Id.Timestamp, v1.Id.DeviceId);
        await laptop.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => phone.Get(Trip) == "v1", "the phone to get the restored v1");

        // Assert 2: a new version naming the delete as its base, out of the trash, no conflict anywhere.
        Assert.Equal("v1", restored);
        var newest = (await phone.GetHistoryAsync(Trip))[0];
        Assert.Equal((false, true, history[0].Id), (newest.IsDeleted, newest.IsHead, Assert.Single(newest.Base!)));
        Assert.Empty(await phone.GetTrashAsync());
        Assert.Empty(phone.GetConflicts());

        // Act 3: the phone deletes it, the laptop takes it out of the trash.
        await phone.DeleteAsync(Trip);
        await phone.SyncBoundedAsync();
        await ClientKit.WaitUntilAsync(() => laptop.GetVersion(Trip) is { Value: null }, "the laptop to get the phone's delete");
        var undeleted = await laptop.UndeleteAsync(Trip);
        await laptop.SyncBoundedAsync();

        // Assert 3
        Assert.Equal("v1", undeleted);
        await ClientKit.WaitUntilAsync(() => phone.Get(Trip) == "v1", "the phone to get the undeleted note");
        await Assert.ThrowsAsync<KeyNotFoundException>(() => laptop.UndeleteAsync(Trip));
    }

    [Fact]
    public async Task RestoringADeleteDeletes()
    {
        await using var server = await InProcessServer.StartAsync();
        using var dir = new TempDirectory();
        await using var laptop = ClientKit.Start(server, "laptop", dir.Path, webSocket: false);
        await laptop.PutAsync(Trip, "v1");
        await laptop.DeleteAsync(Trip);
        await laptop.PutAsync(Trip, "v3");
        await laptop.SyncBoundedAsync();
        var delete = (await laptop.GetHistoryAsync(Trip)).Single(v => v.IsDeleted);

        var restored = await laptop.RestoreAsync(Trip, delete.Id.Timestamp, delete.Id.DeviceId);
        await laptop.SyncBoundedAsync();

        Assert.Null(restored);
        Assert.Null(laptop.Get(Trip));
        Assert.Single(await laptop.GetTrashAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OfflineTheRequestsThrowServerUnreachableAndWriteNothing(bool webSocket)
    {
        await using var server = await InProcessServer.StartAsync();
        using var dir = new TempDirectory();
        await using var laptop = ClientKit.Start(server, "laptop", dir.Path, webSocket);
        await laptop.PutAsync(Trip, "v1");
        await laptop.SyncBoundedAsync();
        var v1 = Assert.Single(await laptop.GetHistoryAsync(Trip));
        await server.StopAsync();

        await Assert.ThrowsAsync<ServerUnreachableException>(() => laptop.GetHistoryAsync(Trip));
        await Assert.ThrowsAsync<ServerUnreachableException>(() => laptop.GetTrashAsync());
        await Assert.ThrowsAsync<ServerUnreachableException>(() => laptop.RestoreAsync(Trip, v1.Id.Timestamp, v1.Id.DeviceId));

        Assert.Equal(0, laptop.Status.OutboxDepth);
        Assert.Equal(v1.Id, new NoteVersionId(laptop.GetVersion(Trip)!.Timestamp, laptop.GetVersion(Trip)!.DeviceId));
    }
}
