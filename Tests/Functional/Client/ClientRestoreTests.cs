using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// A server restored from a backup (docs/operations.md: stop, copy the data folder back, <c>renew-epoch</c>,
/// start) under devices that hold what was written since: each is reset, puts back what the server lost,
/// and every device converges, including one that was offline through the restore.
/// </summary>
public sealed class ClientRestoreTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EveryNoteWrittenBeforeOrAfterARestoreEndsOnEveryDeviceAndTheServer()
    {
        // Arrange: three devices (hub, polling, hub) write and sync on a SQLite server.
        await using var server = await InProcessServer.StartAsync();
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        using var tabletDir = new TempDirectory();
        await using var laptop = ClientKit.Start(server, "laptop", laptopDir.Path, webSocket: true);
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path, webSocket: false);
        var tablet = ClientKit.Start(server, "tablet", tabletDir.Path, webSocket: true);
        try
        {
            await laptop.PutAsync("before/laptop.md", "laptop, before");
            await laptop.PutAsync("before/deleted-later.md", "deleted after the backup");
            await phone.PutAsync("before/phone.md", "phone, before");
            await tablet.PutAsync("before/tablet.md", "tablet, before");
            var before = new Dictionary<string, string?>
            {
                ["before/laptop.md"] = "laptop, before",
                ["before/deleted-later.md"] = "deleted after the backup",
                ["before/phone.md"] = "phone, before",
                ["before/tablet.md"] = "tablet, before",
            };
            await WaitForAllAsync([laptop, phone, tablet], before);

            // The backup: the server stopped, its data folder copied, started again.
            await server.StopAsync();
            using var backup = DataDirectoryBackup.Take(server.DataDir);
            await server.StartAgainAsync();

            // Written after the backup: everyone sees it, then the tablet goes offline holding it.
            await laptop.PutAsync("after/laptop.md", "laptop, after");
            await laptop.DeleteAsync("before/deleted-later.md");
            await phone.PutAsync("after/phone.md", "phone, after");
            await tablet.PutAsync("after/tablet.md", "tablet, after");
            await tablet.PutAsync("before/tablet.md", "tablet, edited after");
            var after = new Dictionary<string, string?>(before)
            {
                ["after/laptop.md"] = "laptop, after",
                ["before/deleted-later.md"] = null,
                ["after/phone.md"] = "phone, after",
                ["after/tablet.md"] = "tablet, after",
                ["before/tablet.md"] = "tablet, edited after",
            };
            await WaitForAllAsync([laptop, phone, tablet], after);
            var oldEpoch = laptop.Epoch;
            Assert.NotNull(oldEpoch);
            await tablet.DisposeAsync();

            // Act: the restore, by the book; then three new notes from a device that never saw the lost history.
            await server.StopAsync();
            backup.RestoreInto(server.DataDir);
            var (exit, stdout, stderr) = await ServerCommand.RunAsync(new Dictionary<string, string> { ["NoteSync__DataDir"] = server.DataDir }, "renew-epoch");
            Assert.True(exit == 0, $"renew-epoch exited {exit}: {stdout}{stderr}");
            await server.StartAgainAsync();
            await using (var desktop = HttpDevice.Create(server, "desktop"))
            {
                await desktop.PutManyAsync([("note:new/1.md", "one"), ("note:new/2.md", "two"), ("note:new/3.md", "three")]);
            }

            // The tablet comes back.
            tablet = ClientKit.Start(server, "tablet", tabletDir.Path, webSocket: true);

            // Assert: every note on every device and on the server; everyone on the restored history's epoch.
            var everything = new Dictionary<string, string?>(after)
            {
                ["new/1.md"] = "one",
                ["new/2.md"] = "two",
                ["new/3.md"] = "three",
            };
            await WaitForAllAsync([laptop, phone, tablet], everything);
            await ServerNotes.WaitForAsync(server, everything.Where(e => e.Value is not null).ToDictionary(e => "note:" + e.Key, e => e.Value!), Patience);
            await ClientKit.WaitUntilAsync(() => !laptop.IsResetting && !phone.IsResetting && !tablet.IsResetting, "every reset to end", Patience);
            var epochs = new[] { laptop.Epoch, phone.Epoch, tablet.Epoch };
            Assert.All(epochs, e => Assert.NotNull(e));
            Assert.Single(epochs.Distinct());
            Assert.NotEqual(oldEpoch, laptop.Epoch);

            // The server may hold a device's re-uploads (another device sent the same notes) before that device
            // has its own acks back, so its outbox drains a little later.
            await ClientKit.WaitUntilAsync(() => laptop.Status.OutboxDepth == 0 && phone.Status.OutboxDepth == 0 && tablet.Status.OutboxDepth == 0, "every outbox to drain", Patience);
        }
        finally
        {
            await tablet.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnEditWrittenAfterTheRestoreWithoutSeeingALostOneStaysBesideItsReupload()
    {
        // Arrange: laptop and phone hold v1 of trip.md; the backup is taken.
        await using var server = await InProcessServer.StartAsync();
        using var laptopDir = new TempDirectory();
        using var phoneDir = new TempDirectory();
        var laptop = ClientKit.Start(server, "laptop", laptopDir.Path);
        await using var phone = ClientKit.Start(server, "phone", phoneDir.Path, webSocket: false);
        try
        {
            await laptop.PutAsync("trip.md", "v1");
            await WaitForAllAsync([laptop, phone], new Dictionary<string, string?> { ["trip.md"] = "v1" });
            await server.StopAsync();
            using var backup = DataDirectoryBackup.Take(server.DataDir);
            await server.StartAgainAsync();

            // The laptop, its clock far ahead (other notes), edits v1; the server acknowledges it; the laptop goes away.
            await laptop.WriteManyAsync([.. Enumerable.Range(0, 30).Select(i => new KeyValuePair<string, string?>($"other/{i}.md", "x"))]);
            await laptop.PutAsync("trip.md", "laptop's edit of v1");
            await laptop.SyncBoundedAsync();
            await laptop.DisposeAsync();

            // Act: the restore loses the laptop's edit; the phone, reset to the restored v1, edits it at a low clock;
            // then the laptop comes back and puts its edit back.
            await server.StopAsync();
            backup.RestoreInto(server.DataDir);
            var (exit, stdout, stderr) = await ServerCommand.RunAsync(new Dictionary<string, string> { ["NoteSync__DataDir"] = server.DataDir }, "renew-epoch");
            Assert.True(exit == 0, $"renew-epoch exited {exit}: {stdout}{stderr}");
            await server.StartAgainAsync();
            await phone.SyncBoundedAsync();
            await ClientKit.WaitUntilAsync(() => !phone.IsResetting && phone.Get("trip.md") is not null, "the phone's reset to end", Patience);
            await phone.PutAsync("trip.md", "phone's edit of v1");
            await phone.SyncBoundedAsync();
            laptop = ClientKit.Start(server, "laptop", laptopDir.Path);

            // Assert: neither edit saw the other, so both are kept on both devices; the re-upload, far ahead in
            // clock, named only what it had replaced (v1), not the phone's edit.
            foreach (var client in new[] { laptop, phone })
            {
                await ClientKit.WaitUntilAsync(() => client.GetConflicts().Count == 1, "the conflict on both devices", Patience);
                var conflict = Assert.Single(client.GetConflicts());
                Assert.True(conflict.Siblings.Count == 1, string.Join(" | ", client.GetHeads("trip.md")));
                Assert.Equal(
                    ["laptop's edit of v1", "phone's edit of v1"],
                    new[] { conflict.Winner.Value, Assert.Single(conflict.Siblings).Value }.Order(StringComparer.Ordinal));
            }
        }
        finally
        {
            await laptop.DisposeAsync();
        }
    }

    /// <summary>Waits until each client lists exactly the notes with content in <paramref name="expected"/> (null: deleted), with their contents.</summary>
    internal static async Task WaitForAllAsync(IReadOnlyList<NoteSyncClient> clients, IReadOnlyDictionary<string, string?> expected)
    {
        var want = expected.Where(e => e.Value is not null).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
        foreach (var client in clients)
        {
            string Describe() => string.Join(", ", client.List().Select(p => $"{p}={client.Get(p)}"));
            try
            {
                await ClientKit.WaitUntilAsync(
                    () => client.List().SequenceEqual(want) && expected.All(e => client.Get(e.Key) == e.Value),
                    "every note",
                    Patience);
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message}: a device holds {Describe()} (status {client.Status})", ex);
            }
        }
    }
}
