using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The key rule of docs/protocol.md §1 on every transport: a key holding a control, bidi or invisible
/// character, a line separator or a noncharacter, or not in NFC, is refused with the documented
/// message naming the change and the character, and nothing of the push is applied.
/// </summary>
public sealed class KeyRuleTests
{
    // One key per class of refused character, and one not in NFC; the message after "changes[1].key ".
    private static readonly (string Key, string Problem)[] RefusedKeys =
    [
        ("note:evil\u001b]0;pwned\u0007.md", "must not contain U+001B (a control character)"),
        ("note:two\nlines.md", "must not contain U+000A (a control character)"),
        ("note:nul\0.md", "must not contain U+0000 (a control character)"),
        ("note:csi\u009b2K.md", "must not contain U+009B (a control character)"),
        ("note:invoice\u202egpj.md", "must not contain U+202E (a bidirectional control)"),
        ("note:isolate\u2067.md", "must not contain U+2067 (a bidirectional control)"),
        ("note:mark\u200f.md", "must not contain U+200F (a bidirectional control)"),
        ("note:arabic\u061c.md", "must not contain U+061C (a bidirectional control)"),
        ("note:zero\u200bwidth.md", "must not contain U+200B (an invisible character)"),
        ("note:joiner\u200d.md", "must not contain U+200D (an invisible character)"),
        ("note:\ufeffbom.md", "must not contain U+FEFF (an invisible character)"),
        ("note:word\u2060joiner.md", "must not contain U+2060 (an invisible character)"),
        ("note:tag\U000E0041.md", "must not contain U+E0041 (an invisible character)"),
        ("note:line\u2028sep.md", "must not contain U+2028 (a line or paragraph separator)"),
        ("note:para\u2029sep.md", "must not contain U+2029 (a line or paragraph separator)"),
        ("note:non\ufdd0char.md", "must not contain U+FDD0 (a noncharacter)"),
        ("note:cafe\u0301.md", "must be in Unicode normalization form C"),
    ];

    [Fact]
    public async Task RefusedKeysGetTheDocumentedErrorOverTheRawWebSocket()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var device = await WsDevice.ConnectAsync(server, "dev");
        await using var watcher = await WsDevice.ConnectAsync(server, "watcher");
        await watcher.PullAsync();

        foreach (var (key, problem) in RefusedKeys)
        {
            var push = device.NewPush(Change("note:good.md", 1), Change(key, 2));

            var answer = await device.SendAndWaitAsync(JsonSerializer.Serialize(push, NoteSyncJsonContext.Default.SyncPush), push.RequestId!);

            var error = Assert.IsType<ErrorFrame>(answer);
            Assert.Equal((ErrorCodes.BadRequest, $"changes[1].key {problem}"), (error.Code, error.Message));
        }

        // Nothing of them was applied, the good change beside each included, and the connection still syncs.
        await ServerAssert.StillSyncsAsync(device, watcher);
        Assert.All(watcher.Snapshot().Keys, key => Assert.StartsWith("note:still-syncing/", key, StringComparison.Ordinal));
        await ServerAssert.HealthyAsync(server);
    }

    [Fact]
    public async Task RefusedKeysGetTheDocumentedErrorOverHttp()
    {
        await using var server = await InProcessServer.StartAsync();
        await using var device = HttpDevice.Create(server, "script");

        foreach (var (key, problem) in RefusedKeys)
        {
            // Written by hand: a raw client's UTF-8, with no escapes but the ones JSON needs.
            var body = "{\"type\":\"sync_push\",\"changes\":[{\"key\":\"note:good.md\",\"value\":\"v\",\"timestamp\":1},"
                + $"{{\"key\":{JsonEncoded(key)},\"value\":\"v\",\"timestamp\":2}}],\"last_ack\":0}}";

            using var response = await device.Http.PostAsync(device.SyncPath, new StringContent(body, Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame);
            Assert.Equal((ErrorCodes.BadRequest, $"changes[1].key {problem}"), (error!.Code, error.Message));
        }

        await device.PullAsync();
        Assert.Empty(device.Snapshot());
    }

    [Fact]
    public async Task RefusedKeysFailTheHubInvocationWithTheDocumentedMessage()
    {
        await using var server = await InProcessServer.StartAsync();
        foreach (var messagePack in new[] { false, true })
        {
            await using var device = await HubDevice.ConnectAsync(server, "hub", messagePack);
            foreach (var (key, problem) in RefusedKeys)
            {
                var ex = await Assert.ThrowsAsync<HubException>(() => device.PushAsync(device.NewPush(Change("note:good.md", 1), Change(key, 2))));

                Assert.EndsWith($"HubException: bad_request: changes[1].key {problem}", ex.Message, StringComparison.Ordinal);
            }
        }

        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Empty(observer.Snapshot());
    }

    // A process of its own: invariant globalization is chosen by the runtime at start-up, for the whole process.
    [Fact]
    public async Task ServerWithoutIcuRefusesToStartSayingWhy()
    {
        var settings = new Dictionary<string, string> { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1" };

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(settings));

        Assert.Contains("exited during start-up", ex.Message, StringComparison.Ordinal);
        Assert.Contains("keys are checked for Unicode normalization form C (docs/protocol.md §1), which needs ICU", ex.Message, StringComparison.Ordinal);
    }

    private static Change Change(string key, long timestamp) => new() { Key = key, Value = "v", Timestamp = timestamp };

    // Only quotes, backslashes and C0 controls escaped, as JSON requires; everything else as UTF-8.
    private static string JsonEncoded(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }
}
