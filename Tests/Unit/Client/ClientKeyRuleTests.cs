using NoteSync.Client;
using NoteSync.Shared;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Client;

/// <summary>
/// The library never queues a key the server would refuse (docs/client.md, "Paths, not keys"), and
/// still reads and lists the notes a server took before the key rule.
/// </summary>
public sealed class ClientKeyRuleTests
{
    private static NoteSyncClient Open(string dir, Uri? server = null) => new(
        new SyncConfig { DeviceId = "solo", SyncEndpoint = server ?? new Uri("http://127.0.0.1:9/"), EnableWebSocket = false, SyncIntervalMs = 100 },
        new NoteSyncClientOptions
        {
            DataDirectory = dir,
            MinReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(300),
        });

    [Theory]
    [InlineData("evil\u001b]0;pwned\u0007.md", "the key of path 'evil<U+001B>]0;pwned<U+0007>.md' must not contain U+001B (a control character)")]
    [InlineData("invoice\u202egpj.md", "the key of path 'invoice<U+202E>gpj.md' must not contain U+202E (a bidirectional control)")]
    [InlineData("zero\u200bwidth.md", "the key of path 'zero<U+200B>width.md' must not contain U+200B (an invisible character)")]
    [InlineData("cafe\u0301.md", "the key of path 'cafe\u0301.md' must be in Unicode normalization form C (path.Normalize() gives that form)")]
    public async Task EveryWriteRefusesAPathWhoseKeyTheServerWouldRefuse(string path, string message)
    {
        using var dir = new TempDirectory();
        await using var client = Open(dir.Path);

        var put = await Assert.ThrowsAsync<ArgumentException>(() => client.PutAsync(path, "x"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.DeleteAsync(path));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ResolveAsync(path, "x"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.WriteManyAsync([new("fine.md", "F"), new(path, "x")]));

        Assert.Equal($"{message} (Parameter 'path')", put.Message);
        Assert.Equal("path", put.ParamName);
        Assert.Equal(0, client.Status.OutboxDepth);
        Assert.Empty(client.List());
    }

    [Fact]
    public async Task NormalizedPathIsTakenAndReadBack()
    {
        using var dir = new TempDirectory();
        await using var client = Open(dir.Path);

        await client.PutAsync("cafe\u0301.md".Normalize(), "x");

        Assert.Equal("x", client.Get("caf\u00e9.md"));
        Assert.Null(client.Get("cafe\u0301.md"));
    }

    [Fact]
    public async Task NotesAServerTookBeforeTheKeyRuleAreListedAndRead()
    {
        // Arrange: a server that checks nothing holds keys today's rule refuses (as an older server may).
        await using var server = await FakeSyncServer.StartAsync();
        await using var old = HttpDevice.Create(server.BaseUri, "old-device");
        await old.PutManyAsync([("note:evil\u001b.md", "escape"), ("note:cafe\u0301.md", "nfd"), ("note:fine.md", "fine")]);
        using var dir = new TempDirectory();
        await using var client = Open(dir.Path, server.BaseUri);

        // Act
        client.Start();
        await client.SyncBoundedAsync();

        // Assert: listed, read by the path List() gives, and the outbox took nothing back.
        Assert.Equal(["cafe\u0301.md", "evil\u001b.md", "fine.md"], client.List());
        Assert.Equal("escape", client.Get("evil\u001b.md"));
        Assert.Equal("nfd", client.Get("cafe\u0301.md"));
        Assert.Equal("old-device", client.GetVersion("evil\u001b.md")!.DeviceId);
        Assert.Equal(0, client.Status.OutboxDepth);
        Assert.Equal("the key of path 'evil<U+001B>.md' must not contain U+001B (a control character) (Parameter 'path')",
            (await Assert.ThrowsAsync<ArgumentException>(() => client.PutAsync("evil\u001b.md", "changed"))).Message);
    }
}
