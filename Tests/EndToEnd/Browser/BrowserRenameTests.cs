using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>Rename (or move) a note: one push of a delete and a create that keeps the text, seen as such by another page.</summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserRenameTests(BrowserFixture browser)
{
    [Fact]
    public async Task ARenameOnOnePageIsOnePushAndTheOtherPageSeesTheNoteMoved()
    {
        // Arrange: two pages (two devices); the pushes page A sends on its WebSocket are recorded.
        await using var server = await InProcessServer.StartAsync();
        var pushes = new ConcurrentQueue<JsonElement>();
        await using var a = await NotePage.OpenAsync(browser, server, prepare: context =>
        {
            context.Page += (_, p) => p.WebSocket += (_, ws) => ws.FrameSent += (_, frame) =>
            {
                using var json = JsonDocument.Parse(frame.Text ?? "{}");
                if (json.RootElement.TryGetProperty("changes", out var sent) && sent.GetArrayLength() > 0)
                {
                    pushes.Enqueue(json.RootElement.Clone());
                }
            };
            return Task.CompletedTask;
        });
        await using var b = await NotePage.OpenAsync(browser, server);
        await a.WaitForStatusAsync("connected");
        await a.CreateNoteAsync("inbox/idea", "call Ann about the trip");
        await a.CreateNoteAsync("inbox/other", "something else");
        await b.WaitForValueAsync("inbox/idea.md", "call Ann about the trip");
        await a.WaitForNothingUnsentAsync();
        await a.OpenFromListAsync("inbox/idea.md");

        // The dialog refuses what the New dialog refuses, and a name that is taken or unchanged.
        var dialog = a.Page.Locator("#rename-dialog");
        var path = a.Page.Locator("#rename-path");
        await a.Page.Locator("#rename").ClickAsync();
        await Assertions.Expect(path).ToBeFocusedAsync();
        await Assertions.Expect(path).ToHaveValueAsync("inbox/idea.md");
        await path.PressAsync("Enter");
        await Assertions.Expect(a.Page.Locator("#rename-error")).ToHaveTextAsync("That is the note's name already.");
        await path.FillAsync("inbox/other");
        await path.PressAsync("Enter");
        await Assertions.Expect(a.Page.Locator("#rename-error")).ToHaveTextAsync("A note named “inbox/other.md” exists.");
        await path.FillAsync("work/why?");
        await path.PressAsync("Enter");
        await Assertions.Expect(a.Page.Locator("#rename-error")).ToContainTextAsync("cannot hold “?”");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        pushes.Clear();

        // Act: move it to another folder under another name.
        await path.FillAsync("work/call-ann");
        await path.PressAsync("Enter");

        // Assert: page A shows the note at its new name, its text kept, the old one gone from the list.
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await Assertions.Expect(a.Page.Locator("#note-path")).ToHaveTextAsync("work/call-ann.md");
        await Assertions.Expect(a.Editor).ToHaveValueAsync("call Ann about the trip");
        await Assertions.Expect(a.Editor).ToBeFocusedAsync();
        await Assertions.Expect(a.Item("inbox/idea.md")).ToHaveCountAsync(0);
        await a.WaitForNothingUnsentAsync();

        // The delete and the create went up in one push, the delete first.
        var push = Assert.Single(pushes);
        var changes = push.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(2, changes.Count);
        Assert.Equal("note:inbox/idea.md", changes[0].GetProperty("key").GetString());
        Assert.Equal(JsonValueKind.Null, changes[0].GetProperty("value").ValueKind);
        Assert.Equal("note:work/call-ann.md", changes[1].GetProperty("key").GetString());
        Assert.Equal("call Ann about the trip", changes[1].GetProperty("value").GetString());

        // Page B sees the note moved: at its new name with its text, and no longer at the old one.
        await b.WaitForValueAsync("work/call-ann.md", "call Ann about the trip");
        await b.WaitForValueAsync("inbox/idea.md", null);
        await Assertions.Expect(b.Item("work/call-ann.md")).ToBeVisibleAsync();
        await Assertions.Expect(b.Item("inbox/idea.md")).ToHaveCountAsync(0);
        await b.OpenFromListAsync("work/call-ann.md");
        await Assertions.Expect(b.Editor).ToHaveValueAsync("call Ann about the trip");
    }
}
