using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NoteSync.Tests.EndToEnd.Cli;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The conflict view's "Edit a merge" with the server's merge suggestion (docs/protocol.md §2.3, §4.13): edits
/// that overlap come back as one text with git-style markers around the lines both changed, the rest merged.
/// And the README's train scenario, where a <c>notesync sync</c> folder on a laptop that lost its network
/// meets a phone's edits: merged by the server when they touch other lines, one merge away from resolved when
/// they overlap.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserMergeSuggestionTests(BrowserFixture browser)
{
    private const string Phone = "phone";
    private const string Laptop = "laptop";
    private const string Trip = "# Trip to the Alps\nDay 1: Lyon\nDay 2: Annecy\nDay 3: Geneva\nPack: boots, rain jacket\n";

    [Fact]
    public async Task EditAMergeOffersTheServersMergeWithMarkersAndItsSaveResolvesEverywhere()
    {
        // Arrange: the page and the phone hold the plan.
        await using var server = await InProcessServer.StartAsync();
        await using var phone = await WsDevice.ConnectAsync(server, Phone);
        await using var page = await NotePage.OpenAsync(browser, server);
        await page.WaitForStatusAsync("connected");
        var pageDevice = await page.DeviceIdAsync();
        await phone.EditAsync("note:plan.md", "day 1\nday 2\nday 3\nday 4\n");
        await page.WaitForValueAsync("plan.md", "day 1\nday 2\nday 3\nday 4\n");

        // Act: offline, the page changes days 2 and 4; online, the phone changes day 2 otherwise; the page comes
        // back, and its person asks for a merge.
        await page.Context.SetOfflineAsync(true);
        await page.WaitForStatusAsync("offline");
        await page.EditAsync("plan.md", "day 1\nday 2: hike\nday 3\nday 4: museum\n");
        var pageStamp = (await page.WritesAsync("plan.md"))[0].GetProperty("timestamp").GetInt64();
        await phone.EditAsync("note:plan.md", "day 1\nday 2: rest\nday 3\nday 4\n", timestamp: pageStamp + 500);
        await page.Context.SetOfflineAsync(false);
        await page.WaitForNothingUnsentAsync();
        await Assertions.Expect(page.ConflictBadge("plan.md")).ToBeVisibleAsync();
        await page.Page.Locator("#edit-merge").ClickAsync();

        // Assert: the phone's edit (the later one) first; day 2 between markers naming both devices, day 4 the page's.
        await Assertions.Expect(page.Editor).ToHaveValueAsync($"day 1\n<<<<<<< {Phone}\nday 2: rest\n=======\nday 2: hike\n>>>>>>> {pageDevice}\nday 3\nday 4: museum\n");
        await Assertions.Expect(page.Page.Locator("#merge-hint")).ToBeVisibleAsync();

        // Act: the person finishes the marked part and saves.
        await page.Editor.FillAsync("day 1\nday 2: rest, then a short hike\nday 3\nday 4: museum\n");
        await page.Page.Keyboard.PressAsync("Control+KeyS");

        // Assert: resolved here and on the phone.
        await Assertions.Expect(page.ConflictBadge("plan.md")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Page.Locator("#merge-hint")).ToBeHiddenAsync();
        await phone.WaitUntilAsync(d => d.StateOf("note:plan.md") is { IsConflict: false } s && s.Winner.Value == "day 1\nday 2: rest, then a short hike\nday 3\nday 4: museum\n", "the resolution on the phone");
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task OnTheTrainDisjointEditsAreMergedEverywhereAndOverlappingOnesAreOneMergeFromResolved()
    {
        // Arrange: the laptop syncs a folder (the real CLI) through a link the test cuts; the phone is a raw device;
        // the page is a third device, a browser at home, with the note open. All hold the plan.
        const string Key = "note:trip.md";
        await using var server = await InProcessServer.StartAsync();
        await using var link = new CuttableLink(server.Port);
        using var folder = new TempDirectory();
        CliKit.WriteNote(folder.Path, "trip.md", Trip);
        await using var laptop = await CliKit.StartSyncAsync(folder.Path, link.BaseUri, Laptop);
        await using var phone = await WsDevice.ConnectAsync(server, Phone);
        await phone.PullAsync();
        await phone.WaitForValueAsync(Key, Trip);
        // Taller than NotePage.Desktop, so the conflict view and the whole merge under it fit the screenshot unscrolled.
        await using var page = await NotePage.OpenAsync(browser, server, new ViewportSize { Width = 1180, Height = 900 });
        await page.WaitForStatusAsync("connected");
        await page.WaitForValueAsync("trip.md", Trip);
        await page.OpenFromListAsync("trip.md");

        // Act: on the train the laptop loses its link and changes day 2; the phone, online, changes the packing
        // line; the laptop's link comes back.
        await GoOfflineAndEditAsync(link, laptop, folder.Path, 1, Trip.Replace("Day 2: Annecy", "Day 2: Annecy, then the lake by bike", StringComparison.Ordinal));
        await phone.EditAsync(Key, Trip.Replace("boots, rain jacket", "boots, rain jacket, sunscreen", StringComparison.Ordinal));
        await page.WaitForValueAsync("trip.md", phone.ValueOf(Key));
        link.Restore();

        // Assert: the server merged the two edits (both edited one version, on other lines): every device holds
        // both, as the server's version, and the page names the two it came from, both kept in the history.
        const string Merged = "# Trip to the Alps\nDay 1: Lyon\nDay 2: Annecy, then the lake by bike\nDay 3: Geneva\nPack: boots, rain jacket, sunscreen\n";
        await page.WaitForValueAsync("trip.md", Merged);
        await CliKit.WaitForFileAsync(folder.Path, "trip.md", Merged);
        await phone.WaitUntilAsync(d => d.StateOf(Key) is { IsConflict: false, Winner: { DeviceId: "notesync:merge", Value: Merged } }, "the merge on the phone");
        await Assertions.Expect(page.Editor).ToHaveValueAsync(Merged);
        await Assertions.Expect(page.Page.Locator("#merged-text")).ToHaveTextAsync(new Regex("^Merged from (laptop and phone|phone and laptop)\\.$"));
        await Assertions.Expect(page.Page.Locator(".merged-back[data-device=\"laptop\"]")).ToHaveTextAsync("Back to laptop's version");
        await Assertions.Expect(page.Page.Locator(".merged-back[data-device=\"phone\"]")).ToHaveTextAsync("Back to phone's version");
        await Assertions.Expect(page.ConflictBadge("trip.md")).ToHaveCountAsync(0);
        await page.ScreenshotAsync("train-merged");

        // Act 2: the next train; both change day 3, each otherwise.
        await GoOfflineAndEditAsync(link, laptop, folder.Path, 2, Merged.Replace("Day 3: Geneva", "Day 3: Geneva, old town", StringComparison.Ordinal));
        await phone.EditAsync(Key, Merged.Replace("Day 3: Geneva", "Day 3: rest day", StringComparison.Ordinal));
        await page.WaitForValueAsync("trip.md", phone.ValueOf(Key));
        link.Restore();

        // Assert 2: a conflict on every device: the page's badge, the phone's two heads, the laptop's copy beside
        // the note. "Edit a merge" in the page offers the server's merge: day 3 between markers naming both devices
        // (the shown version, the winner, first), the rest merged.
        await Assertions.Expect(page.ConflictBadge("trip.md")).ToBeVisibleAsync();
        await phone.WaitUntilAsync(d => d.StateOf(Key) is { IsConflict: true, Writes.Length: 2 }, "the conflict on the phone");
        var shown = phone.StateOf(Key)!.Winner.DeviceId;
        var other = shown == Phone ? Laptop : Phone;
        await ClientKit.WaitUntilAsync(() => CliKit.ReadNote(folder.Path, $"trip.conflict-{other}.md") is not null, "the laptop's conflict copy");
        await laptop.WaitForStderrAsync("conflict: trip.md was changed on several devices at once");
        var day3 = new Dictionary<string, string> { [Laptop] = "Day 3: Geneva, old town", [Phone] = "Day 3: rest day" };
        await page.Page.Locator("#edit-merge").ClickAsync();
        await Assertions.Expect(page.Editor).ToHaveValueAsync(
            $"# Trip to the Alps\nDay 1: Lyon\nDay 2: Annecy, then the lake by bike\n<<<<<<< {shown}\n{day3[shown]}\n=======\n{day3[other]}\n>>>>>>> {other}\nPack: boots, rain jacket, sunscreen\n");
        await Assertions.Expect(page.Page.Locator("#merge-hint")).ToBeVisibleAsync();
        await page.ScreenshotAsync("train-merge-view");

        // Act 3: the person finishes day 3 and saves.
        const string Finished = "# Trip to the Alps\nDay 1: Lyon\nDay 2: Annecy, then the lake by bike\nDay 3: Geneva, old town; rest in the afternoon\nPack: boots, rain jacket, sunscreen\n";
        await page.Editor.FillAsync(Finished);
        await page.Page.Keyboard.PressAsync("Control+KeyS");

        // Assert 3: that one save resolved it everywhere: the page, the phone, and the laptop's folder (its copy gone).
        await Assertions.Expect(page.ConflictBadge("trip.md")).ToHaveCountAsync(0);
        await phone.WaitUntilAsync(d => d.StateOf(Key) is { IsConflict: false, Winner.Value: Finished }, "the resolution on the phone");
        await ClientKit.WaitUntilAsync(() => CliKit.Files(folder.Path) is { Count: 1 } files && files.GetValueOrDefault("trip.md") == Finished, "the laptop's folder to hold the resolution alone");
        Assert.False(laptop.HasExited, laptop.Stderr);
        Assert.Empty(page.Errors);
    }

    /// <summary>
    /// Once the laptop's sync has nothing left to send, cuts its link, waits until the sync says it is offline (for
    /// the <paramref name="time"/>th time), writes <paramref name="text"/> into trip.md and waits until the sync has
    /// queued it: an edit made offline, of the version the folder held.
    /// </summary>
    private static async Task GoOfflineAndEditAsync(CuttableLink link, CliProcess laptop, string folder, int time, string text)
    {
        await ClientKit.WaitUntilAsync(() => OutboxIs(folder, 0), "the laptop's sync to have sent everything");
        link.Cut();
        await ClientKit.WaitUntilAsync(() => Regex.Count(laptop.Stderr, "notesync: offline:") >= time, $"the laptop's sync to be offline ({time})");
        CliKit.WriteNote(folder, "trip.md", text);
        await ClientKit.WaitUntilAsync(() => OutboxIs(folder, 1), "the laptop's edit to be queued");
    }

    /// <summary>Whether the running sync's status file counts <paramref name="writes"/> queued writes.</summary>
    private static bool OutboxIs(string folder, int writes)
    {
        try
        {
            return File.ReadAllText(Path.Combine(folder, ".notesync", "status.json")).Contains($"\"outbox\": {writes},", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            // Not written yet, or replaced under the read: asked again.
            return false;
        }
    }
}
