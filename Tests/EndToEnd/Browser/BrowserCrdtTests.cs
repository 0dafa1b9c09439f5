using System.Text.Json;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Browser;

/// <summary>
/// The page's merge (clients/js/src/crdt.js) is the merge rule of docs/protocol.md §2: random sequences of writes, with
/// and without base, and of joins give the same states in the page, head by head, replaced versions and
/// outcomes included, as <see cref="LwwMerge"/>.
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

            return Describe(state!, outcomes);
        }).ToArray();
        var input = cases.Select(c => c.Select(w => new { timestamp = w.Timestamp, device_id = w.DeviceId, value = w.Value }).ToArray()).ToArray();
        var actual = await page.Page.EvaluateAsync<JsonElement>(
            """
            async cases => {
              const crdt = await import("/js/notesync/crdt.js");
              return cases.map(writes => {
                let state;
                const outcomes = [];
                for (const w of writes) { const r = crdt.merge(state, w); state = r.state; outcomes.push(r.outcome); }
                return { ...state, outcomes, conflict: crdt.isConflict(state), siblings: crdt.siblings(state).length };
              });
            }
            """,
            input);

        // Assert: case by case, so a failure names the sequence.
        var got = actual.EnumerateArray().Select(r => Describe(r, r.GetProperty("outcomes").EnumerateArray().Select(o => o.GetString()!))).ToArray();
        Assert.Equal(cases.Length, got.Length);
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.True(expected[i] == got[i], $"case {i} ({string.Join(", ", cases[i])}):\n  C#: {expected[i]}\n  JS: {got[i]}");
        }
    }

    [Fact]
    public async Task JsMergeWithBaseAndJoinGiveTheSameStatesAsLwwMerge()
    {
        // Arrange + Act (C#): 400 random sequences of up to 12 steps over three replicas (fixed seed: a failure
        // repeats). A step writes a new version into a replica: without base, as an edit of the replica's heads,
        // or with earlier versions of the sequence as base (each below the write); delivers an earlier write again, with
        // its base, to any replica; joins another replica's state; or receives another replica's state as a
        // sync_ack change (ToChange, read back by fromChange in the page). C# runs each step and notes the
        // target's state and the outcome; every base and change the page needs is made here.
        await using var server = await InProcessServer.StartAsync();
        await using var page = await NotePage.OpenAsync(browser, server);
        var random = new Random(20261203);
        var cases = Enumerable.Range(0, 400).Select(_ => RandomSteps(random)).ToArray();

        // Act (page): the same steps with crdt.js.
        // As JSON text: states share objects (a join may return the other state), which Playwright would send as references.
        var actual = JsonDocument.Parse(await page.Page.EvaluateAsync<string>(
            """
            async cases => {
              const crdt = await import("/js/notesync/crdt.js");
              return JSON.stringify(cases.map(steps => {
                const replicas = [undefined, undefined, undefined];
                return steps.map(s => {
                  let r;
                  if (s.kind === "write") r = s.base === null ? crdt.merge(replicas[s.target], s.write) : crdt.mergeWithBase(replicas[s.target], s.write, s.base);
                  else if (s.kind === "join") r = crdt.join(replicas[s.target], replicas[s.source]);
                  else r = crdt.join(replicas[s.target], crdt.fromChange(s.change));
                  replicas[s.target] = r.state;
                  const outcome = r.outcome ?? (r.changed ? "changed" : "unchanged");
                  return { ...r.state, outcomes: [outcome], conflict: crdt.isConflict(r.state), siblings: crdt.siblings(r.state).length };
                });
              }));
            }
            """,
            cases.Select(c => c.Select(s => s.Input).ToArray()).ToArray())).RootElement;

        // Assert: step by step, so a failure names the sequence up to the step.
        var got = actual.EnumerateArray().Select(c => c.EnumerateArray().Select(r => Describe(r, [r.GetProperty("outcomes")[0].GetString()!])).ToArray()).ToArray();
        Assert.Equal(cases.Length, got.Length);
        var outcomes = new Dictionary<string, int>();
        var lowerHeads = 0;
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.Equal(cases[i].Length, got[i].Length);
            for (var j = 0; j < cases[i].Length; j++)
            {
                var step = cases[i][j];
                Assert.True(step.Expected == got[i][j], $"case {i} step {j}:\n{string.Join("\n", cases[i].Take(j + 1).Select(s => $"  {s.Text}"))}\n  C#: {step.Expected}\n  JS: {got[i][j]}");
                outcomes[step.Outcome] = outcomes.GetValueOrDefault(step.Outcome) + 1;
                lowerHeads += step.State.Writes[^1].Timestamp < step.State.Timestamp ? 1 : 0;
            }
        }

        // The sequences took every path of the rule, and often left a head below the winner's timestamp (edits
        // that did not see each other), so the comparison covered each.
        foreach (var outcome in new[] { "replaced", "joined", "duplicate", "ignored", "changed", "unchanged" })
        {
            Assert.True(outcomes.GetValueOrDefault(outcome) >= 20, $"only {outcomes.GetValueOrDefault(outcome)} steps ended {outcome}");
        }

        Assert.True(lowerHeads >= 100, $"only {lowerHeads} steps left a head below the winner's timestamp");
    }

    // One sequence of steps, run in C#.
    private static Step[] RandomSteps(Random random)
    {
        var replicas = new EntryState?[3];
        var written = new List<(Write Write, VersionId[]? Base)>();
        var steps = new List<Step>();
        var count = random.Next(1, 13);
        while (steps.Count < count)
        {
            var target = random.Next(replicas.Length);
            var source = (target + random.Next(1, replicas.Length)) % replicas.Length;
            var kind = random.Next(10);
            if (kind < 5 || (kind < 7 && written.Count == 0))
            {
                // An edit of what the replica holds ticks past it, as a device does; the others land anywhere.
                var mode = random.Next(3);
                var top = replicas[target]?.Timestamp ?? 0;
                var timestamp = mode == 1 ? top + random.Next(1, 4) : random.Next(1, 9);
                var write = new Write(timestamp, Devices[random.Next(Devices.Length)], Values[random.Next(Values.Length)]);
                IEnumerable<VersionId>? named = mode switch
                {
                    0 => null,
                    1 => replicas[target]?.Writes.ToArray().Select(w => VersionId.Of(w)) ?? [],
                    _ => written.Select(w => VersionId.Of(w.Write)).OrderBy(_ => random.Next()).Take(random.Next(4)),
                };
                var @base = named?.Where(v => v.Timestamp < write.Timestamp).ToArray();
                written.Add((write, @base));
                steps.Add(WriteStep(replicas, target, write, @base));
            }
            else if (kind < 7)
            {
                var (write, @base) = written[random.Next(written.Count)];
                steps.Add(WriteStep(replicas, target, write, @base));
            }
            else if (replicas[source] is { } other)
            {
                var change = kind < 9 ? null : other.ToChange("note:x");
                replicas[target] = LwwMerge.Join(replicas[target], change is null ? other : EntryState.FromChange(change), out var changed);
                var wire = change is null ? null : WireOf(change);
                var kindName = wire is null ? "join" : "receive";
                var input = StepInput(kindName, target, source, null, null, wire);
                var text = $"{kindName} {source} into {target}{(wire is null ? "" : $": {JsonSerializer.Serialize(wire)}")}";
                steps.Add(new Step(input, text, changed ? "changed" : "unchanged", replicas[target]!));
            }
        }

        return [.. steps];
    }

    private static Step WriteStep(EntryState?[] replicas, int target, Write write, VersionId[]? @base)
    {
        MergeOutcome outcome;
        replicas[target] = @base is null ? LwwMerge.Merge(replicas[target], write, out outcome) : LwwMerge.Merge(replicas[target], write, @base, out outcome);
        var input = StepInput(
            "write",
            target,
            0,
            new { timestamp = write.Timestamp, device_id = write.DeviceId, value = write.Value },
            @base?.Select(v => new { timestamp = v.Timestamp, device_id = v.DeviceId }).ToArray(),
            null);
        var text = $"write {write} into {target}, base {(@base is null ? "none" : $"[{string.Join(", ", @base)}]")}";
        return new Step(input, text, outcome.ToString().ToLowerInvariant(), replicas[target]!);
    }

    // A change as the raw WebSocket carries it (docs/protocol.md §4.6): what the server leaves out is absent.
    private static Dictionary<string, object?> WireOf(Change change)
    {
        var wire = new Dictionary<string, object?> { ["key"] = change.Key, ["value"] = change.Value, ["timestamp"] = change.Timestamp, ["device_id"] = change.DeviceId };
        if (change.Conflict)
        {
            wire["conflict"] = true;
            wire["conflicts"] = change.Conflicts!.Select(s => new { value = s.Value, timestamp = s.Timestamp, device_id = s.DeviceId }).ToArray();
        }

        if (change.Also is { } also)
        {
            wire["also"] = also.Select(v => new { timestamp = v.Timestamp, device_id = v.DeviceId }).ToArray();
        }

        if (change.Replaced is { } replaced)
        {
            wire["replaced"] = new { floor = replaced.Floor, named = replaced.Named.Select(v => new { timestamp = v.Timestamp, device_id = v.DeviceId }).ToArray() };
        }

        return wire;
    }

    private static string Describe(EntryState state, IEnumerable<string> outcomes) => Describe(
        state.Writes.ToArray().Select(w => (w.Timestamp, w.DeviceId, w.Value)),
        (state.Replaced.Floor, state.Replaced.Named.ToArray().Select(v => (v.Timestamp, v.DeviceId))),
        outcomes,
        state.IsConflict,
        state.Siblings.Count());

    // A state as crdt.js holds it ({heads, replaced: {floor, named}}), with the outcomes, conflict and siblings the page gave.
    private static string Describe(JsonElement state, IEnumerable<string> outcomes)
    {
        var replaced = state.GetProperty("replaced");
        return Describe(
            state.GetProperty("heads").EnumerateArray().Select(w => (w.GetProperty("timestamp").GetInt64(), w.GetProperty("device_id").GetString()!, w.GetProperty("value").GetString())),
            (replaced.GetProperty("floor").GetInt64(), replaced.GetProperty("named").EnumerateArray().Select(v => (v.GetProperty("timestamp").GetInt64(), v.GetProperty("device_id").GetString()!))),
            outcomes,
            state.GetProperty("conflict").GetBoolean(),
            state.GetProperty("siblings").GetInt32());
    }

    private static string Describe(
        IEnumerable<(long Timestamp, string DeviceId, string? Value)> heads,
        (long Floor, IEnumerable<(long Timestamp, string DeviceId)> Named) replaced,
        IEnumerable<string> outcomes,
        bool conflict,
        int siblings) =>
        $"[{string.Join("; ", heads.Select(w => $"{w.Timestamp} {w.DeviceId} {(w.Value is null ? "null" : JsonSerializer.Serialize(w.Value))}"))}] " +
        $"replaced {replaced.Floor} [{string.Join("; ", replaced.Named.Select(v => $"{v.Timestamp} {v.DeviceId}"))}] " +
        $"outcomes {string.Join(",", outcomes)} conflict {conflict} siblings {siblings}";

    // What the page gets for one step, named as the page's script reads it.
    private static Dictionary<string, object?> StepInput(string kind, int target, int source, object? write, object? @base, object? change) =>
        new() { ["kind"] = kind, ["target"] = target, ["source"] = source, ["write"] = write, ["base"] = @base, ["change"] = change };

    // One step: what the page gets, a line for failure messages, and C#'s outcome and target state after it.
    private sealed record Step(Dictionary<string, object?> Input, string Text, string Outcome, EntryState State)
    {
        public string Expected { get; } = Describe(State, [Outcome]);
    }
}
