using NoteSync.Tests.Infra;
namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// A browser collection: its classes run one after another and share one Chromium. Each test drives
/// pages against its own server, and more than two of those at once on a 2-core machine turn waits
/// into timing luck; a Chromium start costs seconds under load, and every page has a browser context of
/// its own (a fresh profile), so one process for the collection keeps the tests independent.
/// <see cref="SecondBrowserLane"/> is the other collection.
/// </summary>
[CollectionDefinition(Name)]
[LongRunning(130)]
public sealed class SerialBrowsers : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
