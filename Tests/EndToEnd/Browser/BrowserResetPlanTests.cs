using System.Text.Json;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// What the page's reset puts back (clients/js/src/replica-changes.js, planAck, docs/protocol.md "Epochs and
/// resets"), run as the page's own module in Chromium: the page keeps editing while it reads the
/// server's notes, and an answer leaves out a note the server stored exactly as the push sent it.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserResetPlanTests(BrowserFixture browser)
{
    [Fact]
    public async Task AWriteThePageSentWhileReadingAResetIsNotUploadedAgainButWhatTheServerLostIs()
    {
        // Arrange: a replica reading a reset, holding a note the server lost and a note typed meanwhile,
        // whose push the server stored as sent (so its answer, the reset's last page, leaves it out).
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);

        // Act
        var plan = await page.Page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const crdt = await import("/js/notesync/crdt.js");
              const { planAck } = await import("/js/notesync/replica-changes.js");
              const lost = { timestamp: 3, device_id: "web", value: "the server lost this" };
              const typed = { timestamp: 7, device_id: "web", value: "typed during the reset" };
              const replica = {
                entries: new Map([["note:lost", crdt.merge(undefined, lost).state], ["note:typed", crdt.merge(undefined, typed).state]]),
                outbox: new Map(), kept: new Map(), clock: 7, cursor: 0, epoch: "e2", reset: { phase: "reading" },
                seen: new Map(), deviceId: "web",
              };
              const sent = [{ key: "note:typed", value: typed.value, timestamp: typed.timestamp }];
              const result = planAck(replica, { ack_timestamp: 7, changes: [], more: false, epoch: "e2" }, sent, false);
              return { uploads: [...result.outboxUpdates.keys()], reset: result.reset };
            }
            """);

        // Assert: only the lost note goes up again; the typed one is on the server already.
        Assert.Equal(["note:lost"], plan.GetProperty("uploads").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal("reuploading", plan.GetProperty("reset").GetProperty("phase").GetString());
        Assert.Equal(["note:lost"], plan.GetProperty("reset").GetProperty("keys").EnumerateArray().Select(k => k.GetString()));
    }
}
