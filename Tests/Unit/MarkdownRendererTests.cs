using NoteSync.Server.Rendering;

namespace NoteSync.Tests.Unit;

/// <summary>
/// The page's Markdown preview as HTML (docs/web.md, Markdown preview): the usual Markdown renders, and
/// nothing in a note becomes markup that runs or a link that runs: raw HTML stays text, and links and
/// images are http, https, mailto or relative, however the scheme is spelled.
/// </summary>
public sealed class MarkdownRendererTests : IDisposable
{
    private readonly MarkdownRenderer _renderer = new();

    public void Dispose() => _renderer.Dispose();

    [Fact]
    public void HeadingsListsCodeTablesTaskListsAndStrikethroughRender()
    {
        var html = Render("""
            # Trip

            ## Packing

            - passport
            - socks

            1. first
            2. second

            Take `the charger` and ~~the umbrella~~.

            ```
            let x = 1 < 2;
            ```

            | what | how many |
            |------|----------|
            | socks | 3 |

            - [x] book the train
            - [ ] book the hotel
            """);

        Assert.Contains("<h1>Trip</h1>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Packing</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<ul>\n<li>passport</li>\n<li>socks</li>\n</ul>", html, StringComparison.Ordinal);
        Assert.Contains("<ol>\n<li>first</li>", html, StringComparison.Ordinal);
        Assert.Contains("<code>the charger</code>", html, StringComparison.Ordinal);
        Assert.Contains("<del>the umbrella</del>", html, StringComparison.Ordinal);
        Assert.Contains("<pre><code>let x = 1 &lt; 2;\n</code></pre>", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
        Assert.Contains("<th>how many</th>", html, StringComparison.Ordinal);
        Assert.Contains("<td>socks</td>", html, StringComparison.Ordinal);
        Assert.Contains("type=\"checkbox\"", html, StringComparison.Ordinal);
        Assert.Contains("checked=\"checked\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<script>window.__md=1</script>", "&lt;script&gt;window.__md=1&lt;/script&gt;")]
    [InlineData("before <script>alert(1)</script> after", "before &lt;script&gt;alert(1)&lt;/script&gt; after")]
    [InlineData("<img src=x onerror=\"window.__md=2\">", "&lt;img src=x onerror=&quot;window.__md=2&quot;&gt;")]
    [InlineData("<iframe src=\"https://example.com\"></iframe>", "&lt;iframe src=&quot;https://example.com&quot;&gt;&lt;/iframe&gt;")]
    [InlineData("text <a href=\"javascript:alert(1)\">x</a>", "text &lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;")]
    [InlineData("<svg onload=alert(1)>", "&lt;svg onload=alert(1)&gt;")]
    public void RawHtmlIsEscapedText(string markdown, string escaped)
    {
        var html = Render(markdown);

        Assert.Contains(escaped, html, StringComparison.Ordinal);
        AssertNoMarkupFromTheNote(html);
    }

    [Theory]
    [InlineData("[click](javascript:window.__md=3)")]
    [InlineData("[click](JaVaScRiPt:alert(1))")]
    [InlineData("[click](&#106;avascript:alert(1))")]
    [InlineData("[click](&#x6A;&#x61;vascript&#58;alert(1))")]
    [InlineData("[click](java&#09;script:alert(1))")]
    [InlineData("[click](<java\tscript:alert(1)>)")]
    [InlineData("[click](<\u0001javascript:alert(1)>)")]
    [InlineData("[click]( javascript:alert(1) )")]
    [InlineData("[click](vbscript:msgbox(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")]
    [InlineData("[click](file:///etc/passwd)")]
    [InlineData("[click][ref]\n\n[ref]: javascript:alert(1)")]
    [InlineData("<javascript:alert(1)>")]
    [InlineData("[**click**](javascript:alert(1) \"title\")")]
    public void LinksWithAnotherSchemeAreNoLinksAndKeepTheirText(string markdown)
    {
        var html = Render(markdown);

        Assert.DoesNotContain("<a", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href", html, StringComparison.Ordinal);
        Assert.Contains(markdown.StartsWith('<') ? "javascript:alert(1)" : "click", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("![x](javascript:alert(1))")]
    [InlineData("![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)")]
    [InlineData("![x](DATA:image/png;base64,AAAA)")]
    [InlineData("![x](vbscript:msgbox(1))")]
    public void ImagesWithAnotherSchemeAreNoImagesAndKeepTheirAltText(string markdown)
    {
        var html = Render(markdown);

        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Equal("<p>x</p>", html.Trim());
    }

    [Theory]
    [InlineData("[a](https://example.com/x?y=1#z)", "https://example.com/x?y=1#z")]
    [InlineData("[a](HTTP://example.com)", "HTTP://example.com")]
    [InlineData("[a](mailto:ann@example.com)", "mailto:ann@example.com")]
    [InlineData("[a](other/note.md)", "other/note.md")]
    [InlineData("[a](/trip.md)", "/trip.md")]
    [InlineData("[a](?q=1)", "?q=1")]
    [InlineData("see https://example.com/page", "https://example.com/page")]
    [InlineData("<https://example.com>", "https://example.com")]
    public void HttpHttpsMailtoAndRelativeLinksStayAndOpenBesideThePage(string markdown, string href)
    {
        var html = Render(markdown);

        Assert.Contains($"href=\"{href}\"", html, StringComparison.Ordinal);
        Assert.Contains($"rel=\"{MarkdownRenderer.LinkRel}\"", html, StringComparison.Ordinal);
        Assert.Contains("target=\"_blank\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AFragmentLinkStaysInThePreviewAndAnEmailAutolinkIsMailto()
    {
        var fragment = Render("[up](#top)");
        var email = Render("<ann@example.com>");

        Assert.Contains("href=\"#top\"", fragment, StringComparison.Ordinal);
        Assert.DoesNotContain("target", fragment, StringComparison.Ordinal);
        Assert.Contains("href=\"mailto:ann@example.com\"", email, StringComparison.Ordinal);
    }

    [Fact]
    public void AnHttpsImageStays()
    {
        var html = Render("![map](https://example.com/map.png)");

        Assert.Contains("<img src=\"https://example.com/map.png\" alt=\"map\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AttributeSyntaxIsText()
    {
        // Markdig's generic attributes would put onclick on the heading; they are not in the pipeline.
        var html = Render("# Title {onclick=\"alert(1)\"}");

        Assert.DoesNotContain("onclick=\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('>')]
    [InlineData('[')]
    [InlineData('*')]
    [InlineData('-')]
    public void TextNestedDeeperThanTheLimitIsRefusedRatherThanExhaustingTheStack(char nesting)
    {
        var markdown = nesting == '-'
            ? string.Concat(Enumerable.Range(0, 300).Select(i => new string(' ', i * 2) + "- x\n"))
            : new string(nesting, 100_000) + "x";

        var html = _renderer.Render(markdown);

        // '*' runs are emphasis delimiters, not nesting, until they close: that one renders.
        if (nesting == '*')
        {
            Assert.NotNull(html);
        }
        else
        {
            Assert.Null(html);
        }
    }

    [Fact]
    public void NestingUpToTheLimitRenders()
    {
        var html = Render(new string('>', 100) + " x");

        Assert.Contains("<blockquote>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://example.com", true)]
    [InlineData("relative/path", true)]
    [InlineData("#fragment", true)]
    [InlineData("", true)]
    [InlineData("a/b:c", true)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData(" \u0000JAVASCRIPT:alert(1)", false)]
    [InlineData("jav\nascript:alert(1)", false)]
    [InlineData("java script:alert(1)", false)]
    [InlineData("data:text/html,x", false)]
    [InlineData("vbscript:x", false)]
    [InlineData("ftp://example.com", false)]
    [InlineData("blob:https://example.com/x", false)]
    public void IsAllowedUrlReadsTheSchemeAsABrowserDoes(string url, bool allowed) =>
        Assert.Equal(allowed, MarkdownRenderer.IsAllowedUrl(url));

    private string Render(string markdown) => _renderer.Render(markdown) ?? throw new InvalidOperationException("refused as too deeply nested");

    private static void AssertNoMarkupFromTheNote(string html)
    {
        foreach (var tag in new[] { "<script", "<img", "<iframe", "<svg", "<a " })
        {
            Assert.DoesNotContain(tag, html, StringComparison.OrdinalIgnoreCase);
        }
    }
}
