using Microsoft.Extensions.DependencyInjection;
using NoteSync.Server.Limits;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// One space cannot slow another down, and pays for what it makes the node send (docs/protocol.md
/// §4.9): a writer's answers from memory are free, live pushes are charged once per device they go to,
/// and a space's page reads take turns among themselves only.
/// </summary>
public sealed class SpaceShareTests
{
    [Theory]
    [InlineData(TestStores.Sqlite, null)]
    [InlineData(TestStores.Redis, null)]
    [InlineData(TestStores.Sqlite, 65536)]
    [InlineData(TestStores.Redis, 65536)]
    public async Task PipelinedAnswersStartWhereTheConnectionsFramesEndAndAreNeverCutUnderATinyBudget(string store, int? pageBytes)
    {
        // Arrange: a budget of 256 KiB, refilled at 1 KiB/s. The writer syncs, then another device
        // writes 160 KB, which the budget pays once, as the live push to the writer: one page, or,
        // with pageBytes, several.
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__PullBytesBurst"] = "262144";
        settings["NoteSync__Limits__PullBytesPerSecond"] = "1024";
        if (pageBytes is { } page)
        {
            settings["NoteSync__Sync__PageBytes"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var server = await InProcessServer.StartOnStoreAsync(store, settings);
        var token = TestTokens.Mint("space-a");
        await using var writer = await WsDevice.ConnectAsync(server, "writer", followMore: false, token: token);
        var othersReceived = 0;
        writer.AckObserver = ack => Interlocked.Add(ref othersReceived, ack.Changes.Count(c => c.Key.StartsWith("note:n", StringComparison.Ordinal)));
        Assert.IsType<SyncAck>(await writer.SendAndWaitAsync(Pull("sync", 0), "sync"));
        await using (var other = HttpDevice.Create(server, "other", token))
        {
            await other.PutManyAsync(Enumerable.Range(0, 40).Select(i => ($"note:n{i}", (string?)new string('x', 4000))));
        }

        await writer.WaitUntilAsync(d => d.ValueOf("note:n39") is not null, "the other device's notes, live");

        // Act: ten pipelined writes, all with the last_ack the device had before that live push, as
        // pushes sent before it arrived carry. Built from the log since last_ack, each answer would
        // repeat the 160 KB (1.6 MB in all, which under load grows with every push in flight).
        var answers = Enumerable.Range(0, 10)
            .Select(i => writer.SendAndWaitAsync(Write($"w{i}", $"note:mine{i}", i + 1), $"w{i}"))
            .ToList();
        var answered = await Task.WhenAll(answers);

        // Assert: every answer is whole (no `more`) and carries none of what the connection was sent
        // live; a pull after them is served.
        Assert.All(answered, a =>
        {
            var ack = Assert.IsType<SyncAck>(a);
            Assert.False(ack.More, "an answer to a write was cut to one change and more");
            Assert.DoesNotContain(ack.Changes, c => c.Key.StartsWith("note:n", StringComparison.Ordinal));
        });
        Assert.Equal(40, Volatile.Read(ref othersReceived));
        var head = answered.Cast<SyncAck>().Max(a => a.AckTimestamp);
        var pull = await writer.SendAndWaitAsync(Pull("pull", head), "pull");
        Assert.IsType<SyncAck>(pull);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task APushLargerThanAPageIsAnsweredInOneFrameWithoutTheDevicesOwnWrites(string store)
    {
        // Arrange: pages of 16 KiB; another device wrote a note; a device that does not follow `more`.
        var settings = TestTokens.Settings();
        settings["NoteSync__Sync__PageBytes"] = "16384";
        await using var server = await InProcessServer.StartOnStoreAsync(store, settings);
        var token = TestTokens.Mint("space-a");
        await using (var other = HttpDevice.Create(server, "other", token))
        {
            await other.PutAsync("note:other", "from elsewhere");
        }

        await using var writer = await WsDevice.ConnectAsync(server, "writer", followMore: false, token: token);
        var changes = string.Join(",", Enumerable.Range(0, 40).Select(i => $$"""{"key":"note:n{{i}}","value":"{{new string('x', 4000)}}","timestamp":{{i + 1}}}"""));

        // Act: one push of 40 notes of 4,000 bytes (ten pages of the log) from last_ack 0.
        var answer = Assert.IsType<SyncAck>(await writer.SendAndWaitAsync($$"""{"type":"sync_push","last_ack":0,"changes":[{{changes}}],"request_id":"big"}""", "big"));
        var after = Assert.IsType<SyncAck>(await writer.SendAndWaitAsync(Pull("after", answer.AckTimestamp), "after"));

        // Assert: the answer is whole: the other device's note, not the writer's own 40 back to it, and
        // the cursor past all of them, so no pull follows that would bring them back (charged to the
        // space). Answered a page at a time, it said `more` after the first three of its own notes.
        Assert.False(answer.More, $"answered in part, to {answer.AckTimestamp}");
        Assert.Equal("note:other", Assert.Single(answer.Changes).Key);
        Assert.Empty(after.Changes);
        Assert.False(after.More);
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task ASpaceWhoseLiveFanOutPassedItsBudgetIsRefusedWhileAnotherSpaceIsServed(string store)
    {
        // Arrange: 64 KiB of burst, refilled at 1 KiB/s; two live listeners in space A.
        var settings = TestTokens.Settings();
        settings["NoteSync__Limits__PullBytesBurst"] = "65536";
        settings["NoteSync__Limits__PullBytesPerSecond"] = "1024";
        await using var server = await InProcessServer.StartOnStoreAsync(store, settings);
        var spaceA = TestTokens.Mint("space-a");
        var spaceB = TestTokens.Mint("space-b");
        await using var writer = await WsDevice.ConnectAsync(server, "writer", token: spaceA);
        await using var listener1 = await WsDevice.ConnectAsync(server, "listener-1", token: spaceA);
        await using var listener2 = await WsDevice.ConnectAsync(server, "listener-2", token: spaceA);
        await using var other = await WsDevice.ConnectAsync(server, "other", token: spaceB);
        foreach (var device in new[] { writer, listener1, listener2, other })
        {
            await device.PullAsync();
        }

        // Act: one write of 40,000 bytes, sent live to both listeners: 80 KB sent for 40 KB written,
        // none of it in an answer or a pull.
        await writer.PutAsync("note:big", new string('b', 40_000));
        foreach (var listener in new[] { listener1, listener2 })
        {
            await listener.WaitUntilAsync(d => d.ValueOf("note:big") is not null, "the write, live");
        }

        var pull = await writer.SendAndWaitAsync(Pull("a-pull", writer.Cursor), "a-pull");
        var push = await writer.SendAndWaitAsync(Write("a-push", "note:small", writer.Clock.Tick(), writer.Cursor), "a-push");

        // Assert: space A's next pull and write are refused with the wait; space B is served.
        var refusedPull = Assert.IsType<ErrorFrame>(pull);
        Assert.Equal(ErrorCodes.RateLimited, refusedPull.Code);
        Assert.StartsWith("too many bytes read from this space; retry after ", refusedPull.Message, StringComparison.Ordinal);
        Assert.InRange(refusedPull.RetryAfterMs ?? 0, 1, 1_000_000);
        var refusedPush = Assert.IsType<ErrorFrame>(push);
        Assert.Equal(ErrorCodes.RateLimited, refusedPush.Code);
        Assert.StartsWith("too many bytes sent for this space; retry after ", refusedPush.Message, StringComparison.Ordinal);
        Assert.NotNull(refusedPush.RetryAfterMs);
        await other.PutAsync("note:b", "space b still writes");
        Assert.IsType<SyncAck>(await other.SendAndWaitAsync(Pull("b-pull", 0), "b-pull"));
    }

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task WhileOneSpacesPageReadHoldsItsTurnItsNextReadWaitsAndAnotherSpacesPullIsServed(string store)
    {
        // Arrange: notes in spaces A and B, polled over HTTP (no live device, so every read is the store's).
        await using var server = await InProcessServer.StartOnStoreAsync(store, TestTokens.Settings());
        var gate = server.Services.GetRequiredService<SpaceReadGate>();
        await using var a = HttpDevice.Create(server, "a", TestTokens.Mint("space-a"));
        await using var b = HttpDevice.Create(server, "b", TestTokens.Mint("space-b"));
        await a.PutAsync("note:a", "in a");
        await b.PutAsync("note:b", "in b");
        await using var readerA = HttpDevice.Create(server, "reader-a", TestTokens.Mint("space-a"));
        await using var readerB = HttpDevice.Create(server, "reader-b", TestTokens.Mint("space-b"));

        // Act: space A's one turn is taken (as by a long page read), then each space's reader pulls.
        var turn = await gate.EnterAsync("space-a", CancellationToken.None);
        Task<SyncAck> pullA;
        try
        {
            pullA = readerA.PullAsync();
            await ClientKit.WaitUntilAsync(() => gate.Users("space-a") == 2, "space A's pull to wait for its turn");
            var pulledB = await readerB.PullAsync().WaitAsync(TestDevice.DefaultTimeout);

            // Assert: B was served while A's read waited behind A's own.
            Assert.Equal("in b", readerB.ValueOf("note:b"));
            Assert.False(pullA.IsCompleted, "space A's pull was served while its turn was taken");
            Assert.Equal(0, gate.Users("space-b"));
            Assert.False(pulledB.More);
        }
        finally
        {
            turn.Dispose();
        }

        await pullA.WaitAsync(TestDevice.DefaultTimeout);
        Assert.Equal("in a", readerA.ValueOf("note:a"));
        await ClientKit.WaitUntilAsync(() => gate.Users("space-a") == 0, "space A's turns to be given back");
    }

    private static string Pull(string requestId, long lastAck) =>
        $$"""{"type":"sync_push","last_ack":{{lastAck}},"changes":[],"request_id":"{{requestId}}"}""";

    private static string Write(string requestId, string key, long timestamp, long lastAck = 0) =>
        $$"""{"type":"sync_push","last_ack":{{lastAck}},"changes":[{"key":"{{key}}","value":"x","timestamp":{{timestamp}}}],"request_id":"{{requestId}}"}""";
}
