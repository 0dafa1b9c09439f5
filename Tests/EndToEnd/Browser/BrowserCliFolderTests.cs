using System.Collections.Concurrent;
using Microsoft.Playwright;
using NoteSync.Tests.EndToEnd.Cli;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The page and a <c>notesync sync</c> folder show the same notes: a note named in the page is a
/// Markdown file in the folder, a file edited there changes the page, and "Keep both" makes a file too.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserCliFolderTests(BrowserFixture browser)
{
    // Less than any "web-..." id, so in a conflict the page's write is the winner and this device's the copy.
    private const string Phone = "phone";

    [Fact]
    public async Task NotesOfThePageAreFilesOfACliFolderBothWays()
    {
        // Arrange: a server, a page, a CLI folder in live sync, and a raw device to make a conflict with.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        await using var raw = await WsDevice.ConnectAsync(server, Phone);
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");

        // Act + Assert: notes named in the page ("trip/packing", "ideas.TXT") are files in the folder.
        await page.CreateNoteAsync("trip/packing", "passport, charger");
        await page.CreateNoteAsync("ideas.TXT", "plain text");
        await CliKit.WaitForFileAsync(folder.Path, "trip/packing.md", "passport, charger");
        await CliKit.WaitForFileAsync(folder.Path, "ideas.TXT", "plain text");

        // An edit of the file reaches the page, into the open editor.
        await page.OpenFromListAsync("trip/packing.md");
        CliKit.WriteNote(folder.Path, "trip/packing.md", "passport, charger, umbrella");
        await page.WaitForValueAsync("trip/packing.md", "passport, charger, umbrella");
        await Assertions.Expect(page.Editor).ToHaveValueAsync("passport, charger, umbrella");

        // "Keep both" of a conflict with the phone, whose copy name "trip/packing (phone).md" is taken: the
        // copy is "trip/packing (phone) 2.md", and the folder shows it.
        await raw.PutAsync("note:trip/packing (phone).md", "last week's list");
        await CliKit.WaitForFileAsync(folder.Path, "trip/packing (phone).md", "last week's list");
        await page.WaitForValueAsync("trip/packing (phone).md", "last week's list");
        await page.EditAsync("trip/packing.md", "passport, charger, umbrella, hat");
        await page.ForceConflictAsync(raw, "trip/packing.md", "passport, sandals");
        await Assertions.Expect(page.Page.Locator("#keep-both")).ToBeVisibleAsync();
        await page.Page.Locator("#keep-both").ClickAsync();

        await page.WaitForValueAsync("trip/packing (phone) 2.md", "passport, sandals");
        await page.WaitForNothingUnsentAsync();
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["ideas.TXT"] = "plain text",
            ["trip/packing.md"] = "passport, charger, umbrella, hat",
            ["trip/packing (phone).md"] = "last week's list",
            ["trip/packing (phone) 2.md"] = "passport, sandals",
        };
        // The folder's conflict copy of trip/packing.md goes once the conflict is resolved.
        await ClientKit.WaitUntilAsync(() => CliKit.Files(folder.Path).SequenceEqual(expected), "the folder to show the page's notes and the kept copy");
        Assert.False(await page.InConflictAsync("trip/packing.md"));
        await raw.WaitUntilAsync(d => d.StateOf("note:trip/packing.md") is { IsConflict: false, Winner.Value: "passport, charger, umbrella, hat" }, "the resolution on the phone");
        Assert.False(cli.HasExited, cli.Stderr);
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task ANoteRenamedInThePageMovesItsFileInACliFolder()
    {
        // Arrange: a page with two notes, a CLI folder in live sync showing them, and a raw device that
        // records every write the folder's device makes.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        await using var raw = await WsDevice.ConnectAsync(server, Phone);
        var fromFolder = new ConcurrentQueue<string>();
        raw.AckObserver = ack =>
        {
            foreach (var change in ack.Changes.Where(c => c.DeviceId == "laptop"))
            {
                fromFolder.Enqueue(change.Key);
            }
        };
        await raw.PullAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        await page.CreateNoteAsync("a", "call Ann about the trip");
        await page.CreateNoteAsync("keep", "stays where it is");
        await page.WaitForNothingUnsentAsync();
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop", "--verbose");
        await CliKit.WaitForFileAsync(folder.Path, "a.md", "call Ann about the trip");
        await CliKit.WaitForFileAsync(folder.Path, "keep.md", "stays where it is");
        var kept = File.GetLastWriteTimeUtc(Path.Combine(folder.Path, "keep.md"));

        // Act: the page moves a.md into a new folder.
        await RenameAsync(page, "a.md", "projects/a");

        // Assert: the folder moved the file, text and all, and nothing else.
        var moved = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["keep.md"] = "stays where it is",
            ["projects/a.md"] = "call Ann about the trip",
        };
        await ClientKit.WaitUntilAsync(() => CliKit.Files(folder.Path).SequenceEqual(moved), "the folder to show a.md moved to projects/a.md");

        // Act: the page moves it on, out of that folder and into a nested one.
        await RenameAsync(page, "projects/a.md", "archive/2024/a");

        // Assert: the folder the note left is gone with it, since a folder is only a part of notes' names.
        var movedOn = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["archive/2024/a.md"] = "call Ann about the trip",
            ["keep.md"] = "stays where it is",
        };
        await ClientKit.WaitUntilAsync(() => CliKit.Files(folder.Path).SequenceEqual(movedOn), "the folder to show projects/a.md moved to archive/2024/a.md");
        await ClientKit.WaitUntilAsync(() => !Directory.Exists(Path.Combine(folder.Path, "projects")), "the emptied folder projects/ to go");

        // A file written after the moves is a fence: the sync handles changes in order, so once its write
        // reaches the raw device, a re-upload of a moved note would have reached it before.
        CliKit.WriteNote(folder.Path, "fence.md", "written last");
        await raw.WaitForValueAsync("note:fence.md", "written last");
        Assert.Equal(["note:fence.md"], fromFolder.ToArray());
        Assert.Null(raw.ValueOf("note:a.md"));
        Assert.Null(raw.ValueOf("note:projects/a.md"));
        Assert.Equal("call Ann about the trip", raw.ValueOf("note:archive/2024/a.md"));
        Assert.Equal(kept, File.GetLastWriteTimeUtc(Path.Combine(folder.Path, "keep.md")));
        Assert.Equal(
            ["archive", "archive/2024"],
            Directory.EnumerateDirectories(folder.Path, "*", SearchOption.AllDirectories)
                .Select(d => Path.GetRelativePath(folder.Path, d).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(d => !d.Split('/').Any(s => s.StartsWith('.')))
                .Order(StringComparer.Ordinal)
                .ToArray());
        Assert.DoesNotContain("conflict", cli.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(await page.InConflictAsync("archive/2024/a.md"));
        Assert.False(cli.HasExited, cli.Stderr);
        Assert.Empty(page.Errors);
    }

    private static async Task RenameAsync(NotePage page, string path, string newName)
    {
        await page.OpenFromListAsync(path);
        await page.Page.Locator("#rename").ClickAsync();
        await page.Page.Locator("#rename-path").FillAsync(newName);
        await page.Page.Locator("#rename-path").PressAsync("Enter");
        await Assertions.Expect(page.Page.Locator("#rename-dialog")).ToBeHiddenAsync();
        await page.WaitForNothingUnsentAsync();
    }

    [Fact]
    public async Task TheNewNoteDialogCountsTheAddedExtensionAndRefusesNamesAFolderWouldSkip()
    {
        // Arrange
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        var dialog = page.Page.Locator("#new-dialog");
        var error = page.Page.Locator("#new-error");

        // Act + Assert: a key is at most 1,024 bytes, "note:" and the added ".md" included.
        await page.Page.Keyboard.PressAsync("Alt+KeyN");
        await Assertions.Expect(page.Page.Locator("#new-hint")).ToContainTextAsync(".md");
        var refusals = new (string Name, string Error)[]
        {
            (new string('n', 1017), "A name is at most 1016 bytes (with the “.md” added, 1019)."),
            (new string('t', 1016) + ".txt", "A name is at most 1019 bytes."),
            ("drafts/.hidden", "A name or folder cannot start with “.”."),
            ("a\\b", "A name cannot hold “\\”; use “/” for folders."),
        };
        foreach (var (name, message) in refusals)
        {
            await page.Page.Locator("#new-path").FillAsync(name);
            await page.Page.Locator("#new-create").ClickAsync();
            await Assertions.Expect(error).ToHaveTextAsync(message);
            await Assertions.Expect(dialog).ToBeVisibleAsync();
        }

        await page.Page.Locator("#new-cancel").ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();

        // Names at the limit are taken, and the server takes their keys.
        await page.CreateNoteAsync(new string('n', 1016), "the longest name with .md added");
        await page.CreateNoteAsync(new string('t', 1015) + ".txt", "the longest name ending in .txt");
        await page.WaitForNothingUnsentAsync();
        Assert.Empty(page.Errors);
    }
}
