using NoteSync.Tests.Infra;
namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The browser classes: they run one after another and share one Chromium. Each test drives pages
/// against its own server; two such lanes at once, beside the rest of the suite on a 2-core machine,
/// made every browser test half again slower (docs/testing.md). A Chromium start costs seconds under
/// load, and every page has a browser context of its own (a fresh profile), so one process for the
/// collection keeps the tests independent.
/// </summary>
[CollectionDefinition(Name)]
[LongRunning(200)]
public sealed class SerialBrowsers : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
