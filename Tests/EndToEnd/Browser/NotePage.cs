using System.Text.Json;
using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The NoteSync page in its own browser context (a device of its own), with the few actions and
/// reads the tests need. Waits are Playwright's bounded auto-waits or <see cref="ClientKit.WaitLimit"/>.
/// </summary>
internal sealed class NotePage : IAsyncDisposable
{
    public static readonly ViewportSize Desktop = new() { Width = 1180, Height = 720 };
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 780 };

    private static readonly float WaitMs = (float)ClientKit.WaitLimit.TotalMilliseconds;

    private NotePage(IBrowserContext context, IPage page, Uri pageUri)
    {
        Context = context;
        Page = page;
        PageUri = pageUri;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>The page's address: the server's root, with the query the test gave.</summary>
    public Uri PageUri { get; }

    /// <summary>Browser console errors and uncaught exceptions, for failure messages and to assert a clean run.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>
    /// Opens the page of <paramref name="server"/> in a fresh context and waits until it has started;
    /// <paramref name="prepare"/> runs on the context first (routes, init scripts); <paramref name="query"/> is the page's query string.
    /// The page's service worker runs only with <paramref name="serviceWorker"/>: a worker that controls the
    /// page takes its requests, and with Playwright's clock paused an action on the page then waited
    /// without end (BrowserTypingTests' hidden-page test); BrowserInstallTests tests the worker itself.
    /// </summary>
    public static async Task<NotePage> OpenAsync(BrowserFixture browser, ITestServer server, ViewportSize? viewport = null, Func<IBrowserContext, Task>? prepare = null, string query = "", bool serviceWorker = false)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? Desktop,
            ServiceWorkers = serviceWorker ? ServiceWorkerPolicy.Allow : ServiceWorkerPolicy.Block,
        });
        context.SetDefaultTimeout(WaitMs);
        if (prepare is not null)
        {
            await prepare(context);
        }

        var page = await context.NewPageAsync();
        var notePage = new NotePage(context, page, new Uri(server.BaseUri, query));
        page.Console += (_, m) =>
        {
            // "Edit a merge" asks for the server's merge, and a 404 (no version both edits came from) is an
            // answer the page expects; Chromium logs every failed load all the same.
            if (m.Type == "error" && !m.Location.Contains("/sync/merge?", StringComparison.Ordinal))
            {
                lock (notePage.Errors)
                {
                    notePage.Errors.Add(m.Text);
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (notePage.Errors)
            {
                notePage.Errors.Add(e);
            }
        };
        await notePage.LoadAsync();
        return notePage;
    }

    /// <summary>Loads (or reloads) the page and waits for it to open its store.</summary>
    public async Task LoadAsync()
    {
        await Page.GotoAsync(PageUri.ToString());
        await Page.WaitForFunctionAsync("() => document.body.dataset.ready === 'true'", null, new() { Timeout = WaitMs });
    }

    public Task ReloadAsync() => LoadAsync();

    public ILocator Status => Page.Locator("#status");

    public ILocator Editor => Page.Locator("#content");

    public ILocator Item(string path) => Page.Locator($".note-item[data-key=\"note:{path}\"]");

    /// <summary>The conflict badge of a note in the list.</summary>
    public ILocator ConflictBadge(string path) => Item(path).Locator(".badge.conflict");

    /// <summary>The card of one version in the open note's conflict view.</summary>
    public ILocator Version(string deviceId) => Page.Locator($"#versions .version[data-device=\"{deviceId}\"]");

    /// <summary>The page's device id (made once per browser profile).</summary>
    public Task<string> DeviceIdAsync() => Page.EvaluateAsync<string>("() => window.notesync.store.deviceId");

    /// <summary>
    /// Creates a note through the "New" dialog, typing <paramref name="name"/>, and types its text, saved with Ctrl+S.
    /// The note's path is <paramref name="name"/> with <c>.md</c> appended unless it ends in <c>.md</c> or <c>.txt</c>,
    /// which the editor's header must show.
    /// </summary>
    public async Task CreateNoteAsync(string name, string text)
    {
        var path = name.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) ? name : $"{name}.md";
        await Page.Keyboard.PressAsync("Alt+KeyN");
        await Page.Locator("#new-path").FillAsync(name);
        await Page.Locator("#new-create").ClickAsync();
        await Assertions.Expect(Page.Locator("#note-path")).ToHaveTextAsync(path);
        await Editor.FillAsync(text);
        await Page.Keyboard.PressAsync("Control+KeyS");
        await WaitForValueAsync(path, text);
    }

    /// <summary>Opens a note from the list and replaces its text, saved with Ctrl+S.</summary>
    public async Task EditAsync(string path, string text)
    {
        // At phone width the open editor hides the list: go back to it first.
        if (await Page.Locator("#back").IsVisibleAsync())
        {
            await Page.Locator("#back").ClickAsync();
        }

        await OpenFromListAsync(path);
        await Editor.FillAsync(text);
        await Page.Keyboard.PressAsync("Control+KeyS");
        await WaitForValueAsync(path, text);
    }

    /// <summary>
    /// Clicks a note in the list until it is the open note. The list is rebuilt on every change of the
    /// store (an ack takes an "unsent" badge away, and the items below move), so a rebuild between
    /// Playwright's hit test and its click can put another element under the pointer; a person would
    /// click again, and so does this, at most three times.
    /// </summary>
    public async Task OpenFromListAsync(string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            await Item(path).ClickAsync();
            try
            {
                await Assertions.Expect(Page.Locator("#note-path")).ToHaveTextAsync(path, new() { Timeout = attempt < 3 ? 2000 : 5000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
                // Not opened: the click met a rebuilt list; click the note again.
            }
        }
    }

    /// <summary>The winner's value of a key in the page's replica, or null.</summary>
    public Task<string?> ValueAsync(string path) =>
        Page.EvaluateAsync<string?>("k => window.notesync.store.entries.get(k)?.heads[0].value ?? null", $"note:{path}");

    /// <summary>The heads of a key in the page's replica, best first (timestamp, device_id, value).</summary>
    public async Task<JsonElement> WritesAsync(string path) =>
        await Page.EvaluateAsync<JsonElement>("k => window.notesync.store.entries.get(k)?.heads ?? []", $"note:{path}");

    /// <summary>True while the page's replica holds the key in conflict.</summary>
    public Task<bool> InConflictAsync(string path) =>
        Page.EvaluateAsync<bool>("k => { const w = window.notesync.store.entries.get(k)?.heads ?? []; return w.some(x => x.value !== w[0].value); }", $"note:{path}");

    /// <summary>Writes <paramref name="value"/> from <paramref name="raw"/> at the timestamp of this page's last write of the note, and waits until both hold the conflict.</summary>
    public async Task ForceConflictAsync(WsDevice raw, string path, string value)
    {
        var writes = await WritesAsync(path);
        Assert.Equal(1, writes.GetArrayLength());
        var timestamp = writes[0].GetProperty("timestamp").GetInt64();
        await raw.PutAsync($"note:{path}", value, timestamp);
        await raw.WaitUntilAsync(d => d.StateOf($"note:{path}")?.IsConflict == true, $"the conflict on {path} at the raw device");
        await Page.WaitForFunctionAsync(
            "k => { const w = window.notesync.store.entries.get(k)?.heads ?? []; return w.length === 2; }",
            $"note:{path}");
    }

    /// <summary>Waits until the status shows no unsent edit (the outbox is empty).</summary>
    public Task WaitForNothingUnsentAsync() =>
        Assertions.Expect(Page.Locator("#unsent")).ToHaveAttributeAsync("data-count", "0", new() { Timeout = WaitMs });

    public Task<int> UnsentAsync() => Page.EvaluateAsync<int>("() => window.notesync.store.outbox.size");

    public async Task WaitForValueAsync(string path, string? value)
    {
        try
        {
            await Page.WaitForFunctionAsync(
                "([k, v]) => (window.notesync.store.entries.get(k)?.heads[0].value ?? null) === v",
                new object?[] { $"note:{path}", value },
                new() { Timeout = WaitMs });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{path} = {value ?? "(deleted)"} did not come: {await DescribeAsync()}", ex);
        }
    }

    /// <summary>The page's state in a line, for failure messages; a screenshot of it is saved as failure-*.png.</summary>
    public async Task<string> DescribeAsync()
    {
        await ScreenshotAsync($"failure-{DateTime.UtcNow:HHmmssfff}");
        var state = await Page.EvaluateAsync<string>(
            """
            () => JSON.stringify({
              status: window.notesync.client.status, transport: window.notesync.client.transport, lastError: window.notesync.client.lastError,
              entries: [...window.notesync.store.entries].slice(0, 20), outbox: [...window.notesync.store.outbox.values()].slice(0, 20),
              editor: document.getElementById("content").value, path: document.getElementById("note-path").textContent,
            })
            """);
        lock (Errors)
        {
            return $"{state}; console errors: [{string.Join(" | ", Errors)}]";
        }
    }

    public Task WaitForStatusAsync(string state) =>
        Assertions.Expect(Status).ToHaveAttributeAsync("data-state", state, new() { Timeout = WaitMs });

    /// <summary>Saves a screenshot under the test output's TestResults/screenshots, named for the state it shows.</summary>
    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"{name}.png") });

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
