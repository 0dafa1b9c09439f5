using System.Text.Json.Nodes;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>A server from before epochs and resets, restored from a backup under the page.</summary>
public sealed partial class BrowserResetTests
{
    /// <summary>
    /// A server that names no epochs and no resets (one from before them, here the real server with
    /// <c>epoch</c> and <c>reset</c> taken out of every frame both ways) is restored from a backup: the
    /// page's last_ack is above its cursor, and its answer falls below the push's last_ack. The page
    /// takes that as a reset, reads the space again from 0, and puts back what the server lost.
    /// </summary>
    [Fact]
    public async Task AnAnswerBelowTheCursorFromAServerWithoutEpochsIsTakenAsAReset()
    {
        // Arrange: a page whose WebSocket frames lose their epoch and reset fields.
        await using var server = await InProcessServer.StartAsync(SmallPages);
        // Both ways in: when a WebSocket does not open (the server restarting), the page probes over POST /sync.
        await using var page = await NotePage.OpenAsync(browser, server, prepare: async context =>
        {
            await context.RouteAsync("**/sync?*", async route =>
            {
                var request = route.Request.PostData is { } push ? WithoutEpochs(push) : null;
                if (await FetchOrAbortAsync(route, new() { PostData = request is null ? null : System.Text.Encoding.UTF8.GetBytes(request) }) is not { } response)
                {
                    return;
                }

                await route.FulfillAsync(new() { Response = response, Body = WithoutEpochs(await response.TextAsync()) });
            });
            await context.RouteWebSocketAsync("**/ws/sync*", ws =>
            {
                var toServer = ws.ConnectToServer();
                ws.OnMessage(frame =>
                {
                    if (frame.Text is { } text)
                    {
                        toServer.Send(WithoutEpochs(text));
                    }
                });
                toServer.OnMessage(frame =>
                {
                    if (frame.Text is { } text)
                    {
                        ws.Send(WithoutEpochs(text));
                    }
                });
            });
        });
        await page.WaitForStatusAsync("connected");
        for (var i = 0; i < 3; i++)
        {
            await page.CreateNoteAsync($"old/{i}", $"old {i}");
        }

        await page.WaitForNothingUnsentAsync();
        await server.StopAsync();
        using var backup = DataDirectoryBackup.Take(server.DataDir);
        await server.StartAgainAsync();
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("new/a", "after the backup");
        await page.CreateNoteAsync("new/b", "also after the backup");
        await page.EditAsync("old/0.md", "old 0, edited after the backup");
        await page.WaitForNothingUnsentAsync();
        Assert.Null(await page.Page.EvaluateAsync<string?>("() => window.notesync.store.epoch"));

        // Act: the backup is put back (no epoch to renew: this server has none) while the page is offline.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await server.StopAsync();
        backup.RestoreInto(server.DataDir);
        await server.StartAgainAsync();
        await page.Context.SetOfflineAsync(false);

        // Assert: the page reads the space again and puts back exactly the three writes the backup lacks.
        await WaitForResetDoneAsync(page);
        Assert.Equal(3, await page.Page.EvaluateAsync<int>("() => window.notesync.store.lastReset.keys"));
        await using var reader = await WsDevice.ConnectAsync(server, "reader");
        await reader.PullAsync();
        await reader.WaitForValueAsync("note:new/a.md", "after the backup");
        await reader.WaitForValueAsync("note:new/b.md", "also after the backup");
        await reader.WaitForValueAsync("note:old/0.md", "old 0, edited after the backup");
        await reader.WaitForValueAsync("note:old/2.md", "old 2");

        // ... and its cursor is the server's again: a note written there now reaches it.
        await reader.PutAsync("note:restored/x.md", "on the restored server");
        await page.WaitForValueAsync("restored/x.md", "on the restored server");
        var cursors = await page.Page.EvaluateAsync<long>("() => window.notesync.store.cursor");
        Assert.True(cursors <= reader.Cursor, $"the page's cursor {cursors} is above the server's {reader.Cursor}");
    }

    // A frame as a server from before epochs would have sent it (and a push as it would have read it).
    private static string WithoutEpochs(string text)
    {
        JsonObject? frame;
        try
        {
            frame = string.IsNullOrEmpty(text) ? null : JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            frame = null;
        }

        if (frame is null)
        {
            return text;
        }

        frame.Remove("epoch");
        frame.Remove("reset");
        return frame.ToJsonString();
    }
}
