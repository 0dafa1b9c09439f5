namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The browser test classes run one after another, not beside each other: each runs a Chromium and a
/// server, and two of those at once on a 2-core machine turn waits into timing luck.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SerialBrowsers
{
    public const string Name = "Browser";
}
