using NoteSync.Client;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional.Client;

/// <summary>
/// A push refused with <c>quota_exceeded</c> loses nothing: the write stays in the client's outbox, the
/// server's reason is in <c>Status.LastError</c>, the connection stays, and the write goes up by itself
/// once another device makes room.
/// </summary>
public sealed class ClientQuotaTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AWriteOverTheQuotaWaitsInTheOutboxAndGoesUpOnceRoomIsMade(bool webSocket)
    {
        // Arrange: a space of two notes, both written by the client.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxNotesPerSpace"] = "2" });
        using var dir = new TempDirectory();
        var log = new ListLogger();
        await using var client = ClientKit.Start(server, "laptop", dir.Path, webSocket, o => o.Logger = log);
        await client.PutAsync("a.md", "first");
        await client.PutAsync("b.md", "second");
        await client.SyncBoundedAsync();

        // Act: a third note.
        await client.PutAsync("c.md", "third");
        await ClientKit.WaitUntilAsync(() => client.Status.State == ConnectionState.QuotaExceeded, "the client to report the refusal");

        // Assert: kept, with the server's reason, on the same transport; the server holds none of it.
        var refused = client.Status;
        Assert.Equal(1, refused.OutboxDepth);
        Assert.Equal("quota_exceeded: the space would hold 3 notes, more than NoteSync:Limits:MaxNotesPerSpace (2); delete notes to make room", refused.LastError);
        Assert.Equal(webSocket ? SyncTransport.WebSocket : SyncTransport.Polling, refused.Transport);
        Assert.Equal("third", client.Get("c.md"));
        Assert.Contains(log.Lines, l => l.EventName == "QuotaExceeded" && l.Message.Contains("push of 1 writes", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Lines, l => l.EventName == "PushRejected");
        await using var other = HttpDevice.Create(server, "phone");
        await other.PullAsync();
        Assert.Equal(["note:a.md", "note:b.md"], other.Snapshot().Keys.Order(StringComparer.Ordinal));

        // Act: another device deletes a note.
        await other.PutAsync("note:a.md", null);

        // Assert: the waiting write goes up by itself; the client holds the delete and an empty outbox.
        await ClientKit.WaitUntilAsync(() => client.Status is { State: ConnectionState.Online, OutboxDepth: 0 }, "the outbox to drain once room was made");
        Assert.Null(client.Status.LastError);
        Assert.Null(client.Get("a.md"));
        await other.PullAsync();
        Assert.Equal(["note:b.md", "note:c.md"], other.Snapshot().Keys.Order(StringComparer.Ordinal));
    }
}
