using System.Text.Json;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The page's merge (wwwroot/crdt.js) is the merge rule of docs/protocol.md §2: random write sequences folded in the
/// page give the same state, write by write and outcome by outcome, as <see cref="LwwMerge"/>.
/// </summary>
[Collection(SerialBrowsers.Name)]
public sealed class BrowserCrdtTests(BrowserFixture browser)
{
    // Ids and values that probe the order: case, non-ASCII (ordinal UTF-16, not culture), the
    // empty string, prefixes, and null (a delete, lowest).
    private static readonly string[] Devices = ["a", "b", "B", "web-1", "web-10", "é", "z"];
    private static readonly string?[] Values = ["x", "y", "", "X", "xy", "Ä", "\U0001F600", null];

    [Fact]
    public async Task JsMergeGivesTheSameStatesAsLwwMerge()
    {
        // Arrange: 400 random sequences of up to 8 writes over 3 timestamps (fixed seed: a failure repeats).
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        var random = new Random(20261125);
        var cases = Enumerable.Range(0, 400).Select(_ => Enumerable.Range(0, random.Next(1, 9))
            .Select(_ => new Write(random.Next(1, 4), Devices[random.Next(Devices.Length)], Values[random.Next(Values.Length)]))
            .ToArray()).ToArray();

        // Act: C# folds each sequence with LwwMerge; the page with crdt.js.
        var expected = cases.Select(writes =>
        {
            EntryState? state = null;
            var outcomes = new List<string>();
            foreach (var w in writes)
            {
                state = LwwMerge.Merge(state, w, out var outcome);
                outcomes.Add(outcome.ToString().ToLowerInvariant());
            }

            return Describe(state!.Writes.ToArray().Select(w => (w.Timestamp, w.DeviceId, w.Value)), outcomes, state.IsConflict, state.Siblings.Count());
        }).ToArray();
        var input = cases.Select(c => c.Select(w => new { timestamp = w.Timestamp, device_id = w.DeviceId, value = w.Value }).ToArray()).ToArray();
        var actual = await page.Page.EvaluateAsync<JsonElement>(
            """
            async cases => {
              const crdt = await import("/crdt.js");
              return cases.map(writes => {
                let state;
                const outcomes = [];
                for (const w of writes) { const r = crdt.merge(state, w); state = r.state; outcomes.push(r.outcome); }
                return { writes: state, outcomes, conflict: crdt.isConflict(state), siblings: crdt.siblings(state).length };
              });
            }
            """,
            input);

        // Assert: case by case, so a failure names the sequence.
        var got = actual.EnumerateArray().Select(r => Describe(
            r.GetProperty("writes").EnumerateArray().Select(w => (w.GetProperty("timestamp").GetInt64(), w.GetProperty("device_id").GetString()!, w.GetProperty("value").GetString())),
            r.GetProperty("outcomes").EnumerateArray().Select(o => o.GetString()!),
            r.GetProperty("conflict").GetBoolean(),
            r.GetProperty("siblings").GetInt32())).ToArray();
        Assert.Equal(cases.Length, got.Length);
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.True(expected[i] == got[i], $"case {i} ({string.Join(", ", cases[i])}):\n  C#: {expected[i]}\n  JS: {got[i]}");
        }
    }

    private static string Describe(IEnumerable<(long Timestamp, string DeviceId, string? Value)> writes, IEnumerable<string> outcomes, bool conflict, int siblings) =>
        $"[{string.Join("; ", writes.Select(w => $"{w.Timestamp} {w.DeviceId} {(w.Value is null ? "null" : JsonSerializer.Serialize(w.Value))}"))}] " +
        $"outcomes {string.Join(",", outcomes)} conflict {conflict} siblings {siblings}";
}
