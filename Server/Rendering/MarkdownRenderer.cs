using Markdig;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace NoteSync.Server.Rendering;

/// <summary>
/// A note's Markdown as an HTML fragment for the page's preview (docs/web.md, Markdown preview), safe to
/// put in the page: raw HTML in the text stays text, and a link or image whose address is not http,
/// https, mailto or relative is no link (its text stays). Markdig parses; nothing here parses Markdown.
/// </summary>
internal sealed class MarkdownRenderer : IDisposable
{
    // One render at a time on a node: some inputs under the size limit still take a second of a core,
    // and previews waiting for each other must not take every core from sync.
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>What every link gets: no window.opener, no Referer, and no endorsement for search engines.</summary>
    public const string LinkRel = "noopener noreferrer nofollow";

    private static readonly string[] AllowedSchemes = ["http", "https", "mailto"];

    // Chosen one by one rather than UseAdvancedExtensions: that set holds generic attributes
    // ({onclick=...} on any element), media links (iframes), auto identifiers (ids that could
    // shadow the page's own elements) and custom containers (classes of the page's own CSS).
    // A pipeline is immutable once built, so one serves every request.
    private readonly MarkdownPipeline _pipeline = new MarkdownPipelineBuilder { MaximumNestingDepth = MaxNesting }
        .DisableHtml()
        .UsePipeTables()
        .UseGridTables()
        .UseTaskLists()
        .UseAutoLinks()
        .UseEmphasisExtras()
        .UseListExtras()
        .UseDefinitionLists()
        .UseFootnotes()
        .Build();

    /// <summary>The most levels of blocks or inlines inside one another (Markdig's default, said here for the error message).</summary>
    public const int MaxNesting = 128;

    /// <summary><see cref="Render"/>, after the renders before it on this node.</summary>
    public async Task<string?> RenderInTurnAsync(string markdown, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Render(markdown);
        }
        finally
        {
            _one.Release();
        }
    }

    public void Dispose() => _one.Dispose();

    /// <summary>The HTML of <paramref name="markdown"/>, or null when it nests deeper than <see cref="MaxNesting"/>.</summary>
    public string? Render(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        MarkdownDocument document;
        try
        {
            document = Markdown.Parse(markdown, _pipeline);
        }
        catch (ArgumentException)
        {
            // Markdig's depth limit, which keeps its recursion off the end of the stack: no text a person
            // writes nests that deep.
            return null;
        }

        foreach (var inline in document.Descendants<Inline>().ToList())
        {
            switch (inline)
            {
                case LinkInline link when !IsAllowedUrl(link.GetDynamicUrl?.Invoke() ?? link.Url):
                    Unwrap(link);
                    break;
                case LinkInline { IsImage: false } link:
                    MarkExternal(link, link.Url);
                    break;
                case AutolinkInline { IsEmail: false } autolink when !IsAllowedUrl(autolink.Url):
                    autolink.ReplaceBy(new LiteralInline(autolink.Url));
                    break;
                case AutolinkInline autolink:
                    MarkExternal(autolink, autolink.Url);
                    break;
            }
        }

        return document.ToHtml(_pipeline);
    }

    /// <summary>
    /// Whether a link or image may point at <paramref name="url"/>: http, https and mailto, or an address
    /// with no scheme (relative, or a fragment). Read as a browser reads an <c>href</c>, so
    /// <c> JaVa&#x09;Script:</c> is <c>javascript:</c>; entities were decoded by the parser already.
    /// </summary>
    public static bool IsAllowedUrl(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return true;
        }

        // A browser drops C0 controls and spaces at either end, and tabs and newlines anywhere (WHATWG URL).
        var cleaned = url.Trim(C0ControlsAndSpace).Replace("\t", string.Empty, StringComparison.Ordinal)
            .Replace("\n", string.Empty, StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal);
        var colon = cleaned.IndexOf(':', StringComparison.Ordinal);
        var pathStart = cleaned.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (pathStart >= 0 && pathStart < colon))
        {
            return true;
        }

        // Anything before the first colon is taken for a scheme, even one a browser would read as a path:
        // only the three allowed ones pass.
        var scheme = cleaned[..colon];
        return AllowedSchemes.Any(allowed => string.Equals(scheme, allowed, StringComparison.OrdinalIgnoreCase));
    }

    private static readonly char[] C0ControlsAndSpace = [.. Enumerable.Range(0, 0x21).Select(c => (char)c)];

    // The link's text (an image's alt text) stays, as plain content where the link was.
    private static void Unwrap(LinkInline link)
    {
        var child = link.FirstChild;
        while (child is not null)
        {
            var next = child.NextSibling;
            child.Remove();
            link.InsertBefore(child);
            child = next;
        }

        link.Remove();
    }

    // A link opens beside the page rather than replacing it (the editor's text would be left behind);
    // a fragment (a footnote) stays in the preview.
    private static void MarkExternal(Inline link, string? url)
    {
        var attributes = link.GetAttributes();
        attributes.AddPropertyIfNotExist("rel", LinkRel);
        if (url is null || !url.StartsWith('#'))
        {
            attributes.AddPropertyIfNotExist("target", "_blank");
        }
    }
}
