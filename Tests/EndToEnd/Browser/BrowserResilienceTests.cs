using System.Text.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>The page rides out a server killed and restarted, and a server that rate-limits it, losing nothing.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserResilienceTests(BrowserFixture browser)
{
    [Fact]
    public async Task PageReconnectsAfterTheServerIsKilledAndPushesWhatWasWrittenMeanwhile()
    {
        // Arrange: a page with a synced note.
        await using var server = await ServerProcess.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("log", "before the crash");

        // Act: kill -9 the server; edit while it is down; start it again on the same port and data.
        server.Kill();
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("log.md", "before the crash\nwritten while the server was down");
        Assert.Equal(1, await page.UnsentAsync());
        await server.RestartAsync();

        // Assert: the page reconnects by itself (backoff) and pushes; a new device reads the edit.
        await page.WaitForStatusAsync("connected");
        await page.WaitForNothingUnsentAsync();
        await using var reader = await WsDevice.ConnectAsync(server, "reader");
        await reader.PullAsync();
        Assert.Equal("before the crash\nwritten while the server was down", reader.ValueOf("note:log.md"));
    }

    [Fact]
    public async Task RateLimitedPushesAreRetriedUntilEveryEditIsIn()
    {
        // Arrange: a server that lets a device push once a second, with no burst beyond that.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__Limits__PushesPerSecond"] = "1",
            ["NoteSync__Limits__PushBurst"] = "1",
        });
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");

        // A second connection of the page's own device spends its budget, however fast the page
        // writes on a busy machine, until the page has been refused at least once.
        await using var sameDevice = await WsDevice.ConnectAsync(server, await page.DeviceIdAsync());
        using var stopSpending = new CancellationTokenSource();
        var spending = Task.Run(async () =>
        {
            while (!stopSpending.IsCancellationRequested)
            {
                var pull = sameDevice.NewPush();
                await sameDevice.SendAndWaitAsync(JsonSerializer.Serialize(pull, NoteSyncJsonContext.Default.SyncPush), pull.RequestId!);
            }
        });

        // Act: six notes in quick succession (each a create and a save).
        for (var i = 0; i < 6; i++)
        {
            await page.CreateNoteAsync($"burst/{i}", $"note {i}");
        }

        var deadline = DateTime.UtcNow + TestDevice.DefaultTimeout;
        while (!await page.Page.EvaluateAsync<bool>("() => window.notesync.errors.some(e => e.code === 'rate_limited' && e.retry_after_ms > 0)"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the page was never refused with rate_limited and a retry_after_ms");
            await Task.Delay(50);
        }

        await stopSpending.CancelAsync();
        await spending;

        // Assert: the page got every note in anyway, by retrying.
        for (var i = 0; i < 6; i++)
        {
            await raw.WaitForValueAsync($"note:burst/{i}.md", $"note {i}");
        }

        await page.WaitForNothingUnsentAsync();
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task AConnectionThatGoesSilentIsReplaced()
    {
        // Arrange: the first WebSocket goes silent on cue (the server's frames stop reaching the page,
        // with no close, as after a laptop sleeps); later ones pass through. Short checks, from the address.
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "phone");
        await raw.PullAsync();
        var connections = 0;
        var silent = false;
        await using var page = await NotePage.OpenAsync(browser, server, query: "?request_timeout_ms=1000&heartbeat_ms=500", prepare: context =>
            context.RouteWebSocketAsync("**/ws/sync*", ws =>
            {
                var first = Interlocked.Increment(ref connections) == 1;
                var toServer = ws.ConnectToServer();
                toServer.OnMessage(frame =>
                {
                    if (first && Volatile.Read(ref silent))
                    {
                        return;
                    }

                    if (frame.Text is { } text)
                    {
                        ws.Send(text);
                    }
                    else
                    {
                        ws.Send(frame.Binary!);
                    }
                });
            }));
        await page.WaitForStatusAsync("connected");

        // Act: silence, then an edit.
        Volatile.Write(ref silent, true);
        await page.CreateNoteAsync("quiet", "written on a dead line");

        // Assert: the unanswered push (or heartbeat) times out, the page connects again, and the edit arrives.
        await raw.WaitForValueAsync("note:quiet.md", "written on a dead line");
        await page.WaitForNothingUnsentAsync();
        await page.WaitForStatusAsync("connected");
        Assert.True(Volatile.Read(ref connections) >= 2, $"the page used {connections} connection(s)");
    }
}
