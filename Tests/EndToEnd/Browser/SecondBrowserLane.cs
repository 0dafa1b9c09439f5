using NoteSync.Tests.Infra;
namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The browser classes in two collections, each serial with its own Chromium, so two pages' tests run at
/// once and not fourteen: one lane alone was the suite's longest wait, and its tests wait mostly on
/// the page's timers and the network, not on the cores. Classes are split to even out the lanes'
/// measured times (docs/testing.md).
/// </summary>
[CollectionDefinition(Name)]
[LongRunning(102)]
public sealed class SecondBrowserLane : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser, second lane";
}
