using System.Text.Json;
using Microsoft.Playwright;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The page never makes a key the server refuses (docs/protocol.md §1): protocol.js holds the server's
/// key rule, and the new-note dialog names a refused character and makes names NFC. Nor a name a
/// synced folder skips because Windows could not hold it (docs/client.md, "Which files are notes").
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserNoteNameTests(BrowserFixture browser)
{
    [Fact]
    public async Task ProtocolJsRefusesTheCharactersAndKeysTheServerRefuses()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        string[] keys =
        [
            "note:inbox/todo.md", "note:caf\u00e9.md", "note:cafe\u0301.md", "note:\u212b", "note:\u1100\u1161",
            "note:a\u0307\u0323", "note:\u2764\ufe0f", "note:e\u0301\u001b", "note:a\u200bb", "note:tag\U000E0041",
            "note:", "todo", "note:" + new string('k', 1020), "note:" + new string('k', 1019),
            "note:👩‍💻", "note:می‌خواهم", "note:a‍b", "note:‍😀",
            "note:😀‍", "note:😀‍‍😀", "note:é‌b",
        ];

        // Act: every code point through refusedKind, and the keys through keyProblem.
        var fromJs = await page.Page.EvaluateAsync<JsonElement>(
            """
            async keys => {
              const { refusedKind, keyProblem } = await import("/js/notesync/protocol.js");
              const refused = [];
              for (let cp = 0; cp <= 0x10ffff; cp++) {
                const what = refusedKind(cp);
                if (what) refused.push(`${cp} ${what}`);
              }
              return { refused: refused.join("\n"), problems: keys.map(k => keyProblem(k)) };
            }
            """,
            keys);

        // Assert: the same lists as the server's.
        var expected = string.Join("\n", Enumerable.Range(0, 0x110000)
            .Where(cp => KeyCharacters.Refused(cp) is not null)
            .Select(cp => $"{cp} {KeyCharacters.Refused(cp)}"));
        Assert.True(expected == fromJs.GetProperty("refused").GetString(), "protocol.js refuses other code points than KeyCharacters.cs");
        Assert.Equal(keys.Select(k => PushValidator.KeyError(k)), fromJs.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task NewNoteDialogRefusesWhatAKeyOrAFolderCannotHoldAndMakesTheNameNfc()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        await using var raw = await WsDevice.ConnectAsync(server, "raw");
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        var error = page.Page.Locator("#new-error");

        // Act + Assert: each refused saying why, a refused character named, the dialog left open.
        await page.Page.Keyboard.PressAsync("Alt+KeyN");
        var refusals = new (string Name, string Error)[]
        {
            ("evil\u001b]0;title", "A name cannot hold U+001B (a control character)."),
            ("invoice\u202egpj", "A name cannot hold U+202E (a bidirectional control)."),
            ("zero\u200bwidth", "A name cannot hold U+200B (an invisible character)."),
            ("tag\U000E0041", "A name cannot hold U+E0041 (an invisible character)."),
            ("C:/Windows/x", "A name cannot hold “:”: a synced folder on Windows could not make a file of it."),
            ("why?", "A name cannot hold “?”: a synced folder on Windows could not make a file of it."),
            ("dir /x", "A name or folder cannot end in “.” or a space."),
            ("aux/x", "“aux” is a device name on Windows: a synced folder could not make a file of it."),
            ("Con", "“Con.md” is a device name on Windows: a synced folder could not make a file of it."),
        };
        foreach (var (name, message) in refusals)
        {
            await page.Page.Locator("#new-path").FillAsync(name);
            await page.Page.Locator("#new-create").ClickAsync();
            await Assertions.Expect(error).ToHaveTextAsync(message);
            await Assertions.Expect(page.Page.Locator("#new-dialog")).ToBeVisibleAsync();
        }

        // A name typed decomposed (e + combining acute) becomes the NFC key, which the server takes.
        await page.Page.Locator("#new-path").FillAsync("cafe\u0301/re\u0301sume\u0301");
        await page.Page.Locator("#new-create").ClickAsync();
        await Assertions.Expect(page.Page.Locator("#note-path")).ToHaveTextAsync("caf\u00e9/r\u00e9sum\u00e9.md");
        await page.Editor.FillAsync("typed decomposed");
        await page.Page.Keyboard.PressAsync("Control+KeyS");
        await raw.WaitForValueAsync("note:caf\u00e9/r\u00e9sum\u00e9.md", "typed decomposed");
        await page.WaitForNothingUnsentAsync();
        Assert.Equal(["note:caf\u00e9/r\u00e9sum\u00e9.md"], raw.Snapshot().Keys);
        Assert.Empty(page.Errors);
    }
}
