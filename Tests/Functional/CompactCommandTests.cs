using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The server binary's <c>compact</c> command on a database made with 4 KiB pages, as every database
/// was before 8 KiB: it leaves a running server's directory alone, then rewrites the database with 8 KiB
/// pages, smaller, with the same notes and the same epoch, so a device that synced before is not reset.
/// </summary>
public sealed class CompactCommandTests
{
    [Fact]
    public async Task RewritesA4KiBDatabaseWith8KiBPagesKeepingItsNotesAndEpoch()
    {
        // Arrange: 300 notes under keys of about 1,000 bytes (the case 4 KiB pages store worst), in a
        // database turned back to 4 KiB pages; a device syncs with it through a server.
        using var dataDir = new TempDirectory();
        var keys = Enumerable.Range(0, 300).Select(i => $"note:{i:D3}/{new string('k', 1000)}.md").ToList();
        await using (var store = new SqliteSyncStore(dataDir.Path, NullLogger.Instance))
        {
            await store.ApplyAsync("default", [.. keys.Select((k, i) => new KeyedWrite(k, new Write(i + 1, "laptop", $"text {i}")))]);
        }

        var database = Path.Combine(dataDir.Path, SqliteSchema.FileName);
        using (var connection = Open(database))
        {
            SqliteSchema.ScalarString(connection, "PRAGMA journal_mode = DELETE");
            SqliteSchema.ScalarString(connection, "PRAGMA page_size = 4096");
            SqliteSchema.ScalarString(connection, "VACUUM");
            Assert.Equal(4096, SqliteSchema.ScalarInt64(connection, "PRAGMA page_size"));
        }

        var before = new FileInfo(database).Length;
        var settings = new Dictionary<string, string> { ["NoteSync__DataDir"] = dataDir.Path };
        await using var server = await InProcessServer.StartAsync(dataDir: dataDir.Path);
        await using (var device = await WsDevice.ConnectAsync(server, "phone"))
        {
            var synced = await device.PullAsync();

            // The answer's later pages follow it: the cursor is read once the device holds every note.
            await device.WaitUntilAsync(d => keys.All(k => d.ValueOf(k) is not null), "every page of the first pull");
            var cursor = device.Cursor;

            // Act 1: the server holds the directory.
            var locked = await ServerCommand.RunAsync(settings, "compact");

            // Act 2: stopped, the database is compacted; the server starts on it again.
            await server.StopAsync();
            var compacted = await ServerCommand.RunAsync(settings, "compact");
            await server.StartAgainAsync();
            await using var again = await WsDevice.ConnectAsync(server, "phone");
            var push = again.NewPush();
            push.LastAck = cursor;
            push.Epoch = synced.Epoch;
            var answer = await again.PushAsync(push);

            // Assert
            Assert.Equal(DataDirectoryLockedException.ExitCode, locked.ExitCode);
            Assert.True(compacted.ExitCode == 0, compacted.StdErr);
            Assert.Contains("now has 8 KiB pages", compacted.StdOut, StringComparison.Ordinal);
            Assert.Contains("(was 4 KiB pages", compacted.StdOut, StringComparison.Ordinal);
            Assert.False(answer.Reset, "the device was reset: the epoch changed");
            Assert.Empty(answer.Changes);
            await using var fresh = await WsDevice.ConnectAsync(server, "fresh");
            await fresh.PullAsync();
            await fresh.WaitUntilAsync(d => keys.All(k => d.ValueOf(k) is not null), "every page of the fresh device's pull");
            Assert.All(keys.Select((k, i) => (k, i)), e => Assert.Equal($"text {e.i}", fresh.ValueOf(e.k)));
        }

        await server.StopAsync();
        using (var connection = Open(database))
        {
            Assert.Equal(8192, SqliteSchema.ScalarInt64(connection, "PRAGMA page_size"));
        }

        Assert.True(new FileInfo(database).Length < before * 3 / 4, $"{new FileInfo(database).Length:N0} bytes after, {before:N0} before");
        Assert.False(File.Exists(Path.Combine(dataDir.Path, CompactCommand.CopyFileName)));
    }

    private static SqliteConnection Open(string database)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
