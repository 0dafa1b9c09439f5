using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The example client of docs/protocol.md §12, run as written (only its server address changed) in real
/// Chromium against a real server: other people build clients from that text, so it must keep every edit.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed partial class BrowserProtocolExampleTests(BrowserFixture browser)
{
    private const string Key = "note:trip.md";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheExampleClientKeepsAnOfflineEditBesideOneItDidNotSeeAndResolvesIt(bool exampleClockAhead)
    {
        // Arrange: the example client, connected, writes v1; a phone holds it too.
        await using var server = await InProcessServer.StartAsync();
        var context = await browser.Browser.NewContextAsync();
        await using var _ = context;
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseUri, "healthz").ToString());
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = ExampleClient(server.BaseUri) });
        await page.WaitForFunctionAsync("() => socket && socket.readyState === WebSocket.OPEN");
        await page.EvaluateAsync($"() => write('{Key}', 'v1')");
        await page.WaitForFunctionAsync("() => outbox.size === 0");
        await using var phone = await WsDevice.ConnectAsync(server, "phone");
        await phone.PullAsync();
        Assert.Equal("v1", phone.ValueOf(Key));

        // Act 1: the example goes offline and edits (after ten other notes when its clock is to be ahead);
        // the phone edits the same version online; the example comes back.
        await page.EvaluateAsync("() => { socket.onclose = null; socket.close(); }");
        await page.WaitForFunctionAsync("() => socket.readyState === WebSocket.CLOSED");
        if (exampleClockAhead)
        {
            await page.EvaluateAsync("() => { for (let i = 0; i < 10; i++) write(`note:other-${i}.md`, 'x'); }");
        }

        await page.EvaluateAsync($"() => write('{Key}', \"laptop's edit\")");
        var v1 = phone.StateOf(Key)!.Winner.Timestamp;
        await phone.EditAsync(Key, "phone's edit", timestamp: exampleClockAhead ? v1 + 1 : v1 + 500);
        await page.EvaluateAsync("() => connect()");
        await page.WaitForFunctionAsync($"() => outbox.size === 0 && view('{Key}').conflict");
        await phone.PullAsync();

        // Assert 1: both edits on both sides; the higher timestamp shows.
        var (winner, sibling) = exampleClockAhead ? ("laptop's edit", "phone's edit") : ("phone's edit", "laptop's edit");
        Assert.Equal(winner, await page.EvaluateAsync<string>($"() => view('{Key}').value"));
        Assert.Equal([sibling], await page.EvaluateAsync<string[]>($"() => view('{Key}').siblings.map(s => s.value)"));
        Assert.Equal(winner, phone.ValueOf(Key));
        Assert.Equal(sibling, Assert.Single(phone.StateOf(Key)!.Siblings).Value);

        // Act 2: the example resolves it.
        await page.EvaluateAsync($"() => write('{Key}', 'both edits')");
        await page.WaitForFunctionAsync("() => outbox.size === 0");

        // Assert 2: resolved on both.
        await phone.WaitUntilAsync(d => d.StateOf(Key) is { IsConflict: false } s && s.Winner.Value == "both edits", "the resolution");
        Assert.False(await page.EvaluateAsync<bool>($"() => view('{Key}').conflict"));
    }

    /// <summary>The example of docs/protocol.md §12, pointed at <paramref name="server"/>.</summary>
    private static string ExampleClient(Uri server)
    {
        var doc = RepositoryFiles.Read("docs/protocol.md");
        var section = doc[doc.IndexOf("## 12. Example: a browser client", StringComparison.Ordinal)..];
        var code = CodeBlock().Match(section).Groups[1].Value;
        Assert.Contains("ws://localhost:5000", code, StringComparison.Ordinal);
        return code.Replace("ws://localhost:5000", $"ws://{server.Authority}", StringComparison.Ordinal);
    }

    [GeneratedRegex("```js\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
