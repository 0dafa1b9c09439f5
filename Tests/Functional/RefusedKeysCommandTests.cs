using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Redis;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The server binary's <c>refused-keys</c> command on a data directory holding notes under keys the
/// key rule refuses (written before the rule, straight into the store here): it lists them, refuses to
/// touch a running server's directory, and with <c>--rename</c> moves each note (and a conflict
/// sibling's text) to a key the rule accepts, as changes every device then syncs. On Redis the
/// server may run meanwhile, and a live device follows the move.
/// </summary>
public sealed class RefusedKeysCommandTests
{
    private const string Escape = "note:title\u001b]0;owned\u0007.md";
    private const string Repaired = "note:title(U+001B)]0;owned(U+0007).md";
    private const string Nfd = "note:cafe\u0301.md";

    [Fact]
    public async Task ListsThenMovesNotesUnderRefusedKeysAndDevicesSyncTheMove()
    {
        // Arrange: a live note under a key with terminal escapes, one in conflict under an NFD key
        // whose NFC name is taken, a deleted note under a refused key, and an ordinary note.
        using var dataDir = new TempDirectory();
        await using (var store = new SqliteSyncStore(dataDir.Path, NullLogger.Instance))
        {
            await store.ApplyAsync("default", [
                new KeyedWrite(Escape, new Write(5, "old-cli", "escape text")),
                new KeyedWrite(Nfd, new Write(6, "mac", "decomposed")),
                new KeyedWrite(Nfd, new Write(6, "phone", "the other side")),
                new KeyedWrite("note:caf\u00e9.md", new Write(4, "mac", "already here")),
                new KeyedWrite("note:gone\u0000.md", new Write(3, "old-cli", null)),
                new KeyedWrite("note:plain.md", new Write(2, "laptop", "untouched")),
            ]);
        }

        var settings = new Dictionary<string, string> { ["NoteSync__DataDir"] = dataDir.Path };

        // Act 1: list.
        var listed = await ServerCommand.RunAsync(settings, "refused-keys");

        // Assert 1: the two notes with text, escaped, with the rule's reason; nothing changed.
        Assert.True(listed.ExitCode == 0, listed.StdErr);
        Assert.Contains("default\tnote:title<U+001B>]0;owned<U+0007>.md\tmust not contain U+001B (a control character)", listed.StdOut, StringComparison.Ordinal);
        Assert.Contains("default\t" + Nfd + "\t", listed.StdOut, StringComparison.Ordinal);
        Assert.Equal(2, listed.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("2 notes under refused keys in 1 spaces; run with --rename", listed.StdErr, StringComparison.Ordinal);

        // Act 2: a running server holds the directory; the command leaves it alone.
        await using var server = await InProcessServer.StartAsync(dataDir: dataDir.Path);
        var locked = await ServerCommand.RunAsync(settings, "refused-keys", "--rename");
        Assert.Equal(DataDirectoryLockedException.ExitCode, locked.ExitCode);
        Assert.Contains(dataDir.Path, locked.StdErr, StringComparison.Ordinal);
        await using (var during = await WsDevice.ConnectAsync(server, "during"))
        {
            await during.PullAsync();
            Assert.Equal("escape text", during.ValueOf(Escape));
        }

        // Act 3: stopped, it moves them; the server starts again and a device syncs.
        await server.StopAsync();
        var renamed = await ServerCommand.RunAsync(settings, "refused-keys", "--rename");
        await server.StartAgainAsync();
        await using var after = await WsDevice.ConnectAsync(server, "after");
        await after.PullAsync();

        // Assert: both notes moved, the sibling's text beside its note, the taken name kept; the old
        // keys deleted by the command's device; nothing else touched.
        Assert.True(renamed.ExitCode == 0, renamed.StdErr);
        Assert.Contains("2 of 2 notes under refused keys moved", renamed.StdErr, StringComparison.Ordinal);
        Assert.Equal("escape text", after.ValueOf(Repaired));
        Assert.Null(after.ValueOf(Escape));
        Assert.Equal(RefusedKeysCommand.Device, after.StateOf(Escape)!.Winner.DeviceId);
        Assert.Equal("already here", after.ValueOf("note:caf\u00e9.md"));
        var siblings = new[] { after.ValueOf("note:caf\u00e9 (2).md"), after.ValueOf("note:caf\u00e9 (3).md") };
        Assert.Contains("decomposed", siblings);
        Assert.Contains("the other side", siblings);
        Assert.Null(after.ValueOf(Nfd));
        Assert.Equal("untouched", after.ValueOf("note:plain.md"));
        Assert.Null(after.StateOf("note:gone\u0000.md")!.Winner.Value);
    }

    [Fact]
    public async Task OnRedisMovesNotesUnderRefusedKeysOfEverySpaceWhileANodeRunsAndALiveDeviceFollows()
    {
        // Arrange: two spaces, one with a note under a refused key, written straight into Redis; a
        // node on the same Redis with a live device in that space.
        await using var redis = await RedisServer.StartAsync();
        await using (var store = new RedisSyncStore(await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString), NullLogger.Instance, ownsConnection: true))
        {
            await store.ApplyAsync("default", [
                new KeyedWrite(Escape, new Write(5, "old-cli", "escape text")),
                new KeyedWrite("note:plain.md", new Write(2, "laptop", "untouched")),
            ]);
            await store.ApplyAsync("other}space%", [new KeyedWrite(Nfd, new Write(3, "mac", "decomposed"))]);
        }

        var settings = new Dictionary<string, string> { ["NoteSync__Store"] = "redis", ["NoteSync__Redis"] = redis.ConnectionString };
        await using var server = await InProcessServer.StartAsync(settings);
        await using var live = await WsDevice.ConnectAsync(server, "live");
        await live.PullAsync();
        Assert.Equal("escape text", live.ValueOf(Escape));

        // Act
        var listed = await ServerCommand.RunAsync(settings, "refused-keys");
        var renamed = await ServerCommand.RunAsync(settings, "refused-keys", "--rename");

        // Assert: both spaces listed (the one whose name needs escaping in Redis keys too), both moved,
        // and the live device gets the move without asking.
        Assert.True(listed.ExitCode == 0, listed.StdErr);
        Assert.Contains("default\tnote:title<U+001B>]0;owned<U+0007>.md\t", listed.StdOut, StringComparison.Ordinal);
        Assert.Contains("other}space%\t" + Nfd + "\t", listed.StdOut, StringComparison.Ordinal);
        Assert.Contains("2 notes under refused keys in 2 spaces", listed.StdErr, StringComparison.Ordinal);
        Assert.True(renamed.ExitCode == 0, renamed.StdErr);
        Assert.Contains("2 of 2 notes under refused keys moved", renamed.StdErr, StringComparison.Ordinal);
        await live.WaitForValueAsync(Repaired, "escape text");
        await live.WaitForValueAsync(Escape, null);
        Assert.Equal("untouched", live.ValueOf("note:plain.md"));
    }

    [Fact]
    public async Task OnRedisWithoutAConnectionStringSaysWhatIsMissing()
    {
        var result = await ServerCommand.RunAsync(new Dictionary<string, string> { ["NoteSync__Store"] = "redis" }, "refused-keys");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("NoteSync:Redis is not set", result.StdErr, StringComparison.Ordinal);
    }
}
