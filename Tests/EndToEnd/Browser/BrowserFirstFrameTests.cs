using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The first frame of a connection goes before its first answer tells the server's limits
/// (docs/protocol.md §4.4): the page makes it a pull, and sizes the outbox by the
/// limits that answer tells, not by those of an earlier connection.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserFirstFrameTests(BrowserFixture browser)
{
    private const int MaxMessageBytes = 64 * 1024;

    [Fact]
    public async Task AfterARestartWithSmallerLimitsNoFrameIsOverThemAndEveryEditGoesUp()
    {
        // Arrange: a page connected to a server with the default limits (16 MiB a message), then the server stopped.
        using var data = new TempDirectory();
        await using var first = await InProcessServer.StartAsync(dataDir: data.Path);
        await using var page = await NotePage.OpenAsync(browser, first);
        await page.WaitForStatusAsync("connected");
        var oversize = 0;
        page.Page.WebSocket += (_, socket) => socket.FrameSent += (_, frame) =>
        {
            if ((frame.Text?.Length ?? frame.Binary?.Length ?? 0) > MaxMessageBytes)
            {
                Interlocked.Increment(ref oversize);
            }
        };
        await first.StopAsync();
        await page.WaitForStatusAsync("offline");

        // Act: three notes of 40 KB written while it is down (120 KB together), then the server back on the
        // same data and address with messages of at most 64 KiB.
        var texts = Enumerable.Range(0, 3).Select(i => new string((char)('a' + i), 40_000)).ToArray();
        for (var i = 0; i < texts.Length; i++)
        {
            await page.CreateNoteAsync($"big{i}", texts[i]);
        }

        await using var second = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxMessageBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) }, dataDir: data.Path, port: first.Port);

        // Assert: every note reached the server, none was refused, and no frame was over the new limit
        // (one would have been closed with 1009).
        await page.WaitForNothingUnsentAsync();
        await using var reader = await WsDevice.ConnectAsync(second, "reader");
        await reader.PullAsync();
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i], reader.ValueOf($"note:big{i}.md"));
            Assert.Equal(0, await page.Item($"big{i}.md").Locator(".badge.rejected").CountAsync());
        }

        Assert.Equal(0, Volatile.Read(ref oversize));
    }
}
