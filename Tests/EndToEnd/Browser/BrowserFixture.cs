using Microsoft.Playwright;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// One headless Chromium (Debian's <c>chromium-headless-shell</c>, driven by Playwright's bundled driver;
/// no browser download) for the browser test collection (<see cref="SerialBrowsers"/>). Each page gets its own <see cref="IBrowserContext"/>, so its own
/// IndexedDB and localStorage: a fresh browser profile, as a second device would have.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    // Chromium's headless shell, the build Playwright itself runs headless: the same Blink and V8 as the
    // chromium package without the desktop browser around them. The browser tests took 100 s and 80 s of
    // CPU on it against 156 s and 118 s on /usr/bin/chromium, every test passing on both (docs/testing.md).
    public const string ChromiumPath = "/usr/bin/chromium-headless-shell";

    // Without the background-networking flags Chromium keeps calling home, which on a closed network
    // means a stream of failing connections; QUIC is off so every request is plain TCP to 127.0.0.1.
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser is not started");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: the browser tests need Debian's chromium-headless-shell (./test.sh installs it: apt-get install chromium-headless-shell)");
        }

        // Playwright's assertions wait 5 s unless told otherwise, the one bound here that a 2-core machine
        // running the suite's other classes was seen to pass while the page was still on its way; every
        // other wait of these tests is ClientKit.WaitLimit, and a bound on a wait costs nothing when it holds.
        Assertions.SetDefaultExpectTimeout((float)NoteSync.Tests.Infra.ClientKit.WaitLimit.TotalMilliseconds);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
