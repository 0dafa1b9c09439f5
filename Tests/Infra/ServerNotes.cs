namespace NoteSync.Tests.Infra;

/// <summary>What a server holds, read as a fresh device sees it: a pull from 0, every page.</summary>
internal static class ServerNotes
{
    /// <summary>Every note with content (tombstones left out), by key; with auth on, of the space of <paramref name="token"/>.</summary>
    public static async Task<Dictionary<string, string>> ReadAsync(ITestServer server, string? token = null)
    {
        await using var auditor = HttpDevice.Create(server, $"auditor-{Guid.NewGuid():N}", token);
        await auditor.PullAsync();
        return auditor.Snapshot();
    }

    /// <summary>Waits until the server holds exactly <paramref name="expected"/> (key to content).</summary>
    public static async Task WaitForAsync(ITestServer server, IReadOnlyDictionary<string, string> expected, TimeSpan? timeout = null, string? token = null)
    {
        Dictionary<string, string> last = [];
        try
        {
            await ClientKit.WaitUntilAsync(
                async () =>
                {
                    last = await ReadAsync(server, token);
                    return last.Count == expected.Count && expected.All(e => last.TryGetValue(e.Key, out var v) && v == e.Value);
                },
                "the server to hold every note",
                timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; it holds: {string.Join(", ", last.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"))}", ex);
        }
    }
}
