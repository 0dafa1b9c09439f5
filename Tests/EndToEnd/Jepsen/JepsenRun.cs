using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;
using Xunit.Abstractions;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// One scenario end to end: a fresh cluster, observers on every node, writers over every transport
/// spread over every node, fault rounds under their load, a quiet period, then the final read (a fresh
/// pull on every node, and every device that stayed connected given time to catch up) and the checker.
/// </summary>
internal static class JepsenRun
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan BetweenRounds = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    // After a Redis restart the nodes take seconds to serve again; a fixed gap would leave the next
    // round to hit a service that never came back, and the run would test little.
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(20);
    private const int AcksToRecover = 10;

    private static readonly (string Name, Transport Transport)[] WriterKinds =
    [
        ("ws-a", Transport.WebSocket), ("hubjson-a", Transport.HubJson), ("http-a", Transport.Http),
        ("ws-b", Transport.WebSocket), ("hubmp-b", Transport.HubMessagePack), ("http-b", Transport.Http),
    ];

    public static async Task<JepsenResult> ExecuteAsync(IFault fault, JepsenSettings settings, ITestOutputHelper output, JepsenBackend backend = JepsenBackend.DurableRedis)
    {
        var random = new Random(settings.Seed);
        var history = new JepsenHistory();
        await using var cluster = await JepsenCluster.StartAsync(backend);
        var observers = new List<DeviceConnection>();
        var writers = new List<JepsenWriter>();
        using var load = new CancellationTokenSource();
        using var drain = new CancellationTokenSource();
        Task[] writing = [];
        try
        {
            await ConnectObserversAsync(cluster, observers);

            // Writer i starts on node (i + i/3) % 3: every node gets two writers of different transports.
            for (var i = 0; i < WriterKinds.Length; i++)
            {
                writers.Add(new JepsenWriter(WriterKinds[i].Name, WriterKinds[i].Transport, (i + (i / 3)) % JepsenCluster.NodeCount, cluster, history, random.Next()));
            }

            writing = writers.Select(w => Task.Run(() => w.RunAsync(load.Token, drain.Token))).ToArray();
            var loadStart = history.Now;
            var faulting = InjectFaultsAsync(fault, cluster, history, settings, random);
            await Task.WhenAll(faulting, Task.Delay(settings.Load));
            await load.CancelAsync();
            drain.CancelAfter(Drain);
            await Task.WhenAll(writing);
            var loadEnd = history.Now;

            await Task.Delay(Quiet);
            var nodeReads = await ReadEveryNodeAsync(cluster, history);
            var live = observers.Where(o => o.IsConnected).Concat(writers.Select(w => w.LiveConnection).OfType<DeviceConnection>()).ToList();
            var liveStates = await Task.WhenAll(live.Select(c => CatchUpAsync(c, nodeReads[0], settings.CatchUp)));

            foreach (var writer in writers)
            {
                await writer.DisposeAsync();
            }

            writers.Clear();
            foreach (var log in observers.SelectMany(o => o.Logs()))
            {
                history.AddConnection(log);
            }

            var violations = JepsenChecker.Check(history, nodeReads, liveStates);
            var faultEvents = history.Faults;
            var pushes = history.Pushes;

            // The fault phase, from the first fault's start to the last one's end.
            var windowStart = faultEvents.Count > 0 ? faultEvents.Min(f => f.Start) : TimeSpan.Zero;
            var faultsEnd = faultEvents.Count > 0 ? faultEvents.Max(f => f.End) : TimeSpan.Zero;
            var result = new JepsenResult(history, violations, windowStart, faultsEnd, liveStates.Length, "");
            var summary =
                $"{fault.Name}: seed {settings.Seed}, load {loadStart:mm\\:ss\\.f}-{loadEnd:mm\\:ss\\.f}, {faultEvents.Count} fault(s) "
                + $"[{string.Join("; ", faultEvents.Take(6).Select(f => $"{f.What} at {f.Start:mm\\:ss\\.f} ({f.Evidence})"))}{(faultEvents.Count > 6 ? "; ..." : "")}], "
                + $"{pushes.Count} pushes: {pushes.Count(p => p.Outcome == PushOutcome.Acked)} acked "
                + $"({result.AckedDuringFaults} during the fault phase, {result.AckedRetries} retries), "
                + $"{pushes.Count(p => p.Outcome == PushOutcome.Failed)} refused, {pushes.Count(p => p.Outcome == PushOutcome.Unknown)} unknown, "
                + $"{pushes.Count(p => p.Outcome == PushOutcome.Pending)} pending; {nodeReads[0].Entries.Count} keys; "
                + $"{TimestampTies(pushes)} timestamp ties between writers; "
                + $"first ack after each fault: {RecoveryTimes(history)}; "
                + $"{liveStates.Length} live devices checked ({observers.Count(o => !o.IsConnected)} observers cut); "
                + $"{history.Connections.Select(c => c.ConnectionId).Distinct().Count()} connections; errors: "
                + string.Join("; ", pushes.Where(p => p.Error is not null).GroupBy(p => Shorten(p.Error!)).OrderByDescending(g => g.Count()).Take(5).Select(g => $"{g.Count()}x {g.Key}"));
            output.WriteLine(summary);
            foreach (var violation in violations.Take(50))
            {
                output.WriteLine(violation.ToString());
            }

            return result with { Summary = summary };
        }
        finally
        {
            // On a failed fault or read the writers are still going: stop them before closing what they use.
            await load.CancelAsync();
            await drain.CancelAsync();
            await Task.WhenAny(Task.WhenAll(writing), Task.Delay(TimeSpan.FromSeconds(20)));
            foreach (var writer in writers)
            {
                await writer.DisposeAsync();
            }

            foreach (var observer in observers)
            {
                await observer.DisposeAsync();
            }
        }
    }

    private static async Task ConnectObserversAsync(JepsenCluster cluster, List<DeviceConnection> observers)
    {
        var background = new List<Task>();
        for (var node = 0; node < JepsenCluster.NodeCount; node++)
        {
            foreach (var transport in new[] { Transport.WebSocket, Transport.HubJson })
            {
                var name = $"observer-{(transport == Transport.WebSocket ? "ws" : "hub")}-n{node}";

                // No fault yet: a slow connect is a busy machine, not a dead node.
                var connection = await DeviceConnection.OpenAsync(cluster, node, transport, name, $"{name}#c1@node{node}", background, TestDevice.DefaultTimeout)
                    ?? throw new InvalidOperationException($"{name} could not connect to node {node} before any fault");
                observers.Add(connection);
                try
                {
                    await connection.PushAsync(connection.Device.NewPush(), TestDevice.DefaultTimeout);
                }
                catch (Exception ex)
                {
                    // Nothing has been injected yet: say exactly who hung where, with what the node printed.
                    var log = cluster.Nodes[node].Output;
                    throw new InvalidOperationException(
                        $"{name}'s first pull on node {node} (pid {cluster.Nodes[node].ProcessId}) failed before any fault: {ex.GetType().Name}: {ex.Message}\n{log[Math.Max(0, log.Length - 3000)..]}",
                        ex);
                }
            }
        }
    }

    private static async Task InjectFaultsAsync(IFault fault, JepsenCluster cluster, JepsenHistory history, JepsenSettings settings, Random random)
    {
        var until = history.Now + settings.Load;
        await Task.Delay(Warmup);
        for (var round = 1; settings.Rounds is { } rounds ? round <= rounds : round == 1 || history.Now < until; round++)
        {
            await fault.InjectRoundAsync(cluster, history, random);
            await WaitForRecoveryAsync(history, history.Faults[^1].End);
            await Task.Delay(BetweenRounds);
        }
    }

    private static async Task WaitForRecoveryAsync(JepsenHistory history, TimeSpan faultEnd)
    {
        var deadline = history.Now + RecoveryBound;
        while (history.Pushes.Count(p => p.Outcome == PushOutcome.Acked && p.AnsweredAt > faultEnd) < AcksToRecover && history.Now < deadline)
        {
            await Task.Delay(50);
        }
    }

    // How long after each fault ended the first write was acknowledged: the service's recovery time.
    private static string RecoveryTimes(JepsenHistory history) => string.Join(", ", history.Faults.Select(f =>
        history.Pushes.Where(p => p.Outcome == PushOutcome.Acked && p.AnsweredAt > f.End).Min(p => p.AnsweredAt) is { } first
            ? $"{(first - f.End).TotalSeconds:0.0} s"
            : "never"));

    // A fresh device per node pulls the whole space from last_ack 0, following every `more` page; and
    // one on a node started only now, which can answer from the store alone.
    private static async Task<ReplicaState[]> ReadEveryNodeAsync(JepsenCluster cluster, JepsenHistory history)
    {
        var reads = new List<ReplicaState>();
        for (var node = 0; node < JepsenCluster.NodeCount; node++)
        {
            reads.Add(await ReadAsync(cluster.Nodes[node], node, $"final-reader-n{node}", history));
        }

        await using var fresh = await cluster.StartFreshNodeAsync();
        reads.Add(await ReadAsync(fresh, JepsenCluster.NodeCount, $"final-reader-fresh-n{JepsenCluster.NodeCount}", history));
        return [.. reads];
    }

    private static async Task<ReplicaState> ReadAsync(ServerProcess server, int node, string name, JepsenHistory history)
    {
        await using var reader = HttpDevice.Create(server, name);
        try
        {
            await reader.PullAsync();
        }
        catch (HttpRequestException ex)
        {
            // The load is over and every fault has ended: say which node refused, with what it printed.
            var log = server.Output;
            throw new InvalidOperationException(
                $"{name}'s final read on node {node} (pid {server.ProcessId}) failed: {ex.Message}\n{log[Math.Max(0, log.Length - 4000)..]}",
                ex);
        }

        history.AddConnection(new ConnectionLog($"{name}#c1@node{node}", name, node, Transport.Http, "frames in wire order", reader.AckFrames));
        return new ReplicaState(name, node, reader.Entries());
    }

    // Live delivery is asynchronous: a device that stayed connected gets a bounded time to match the final read.
    private static async Task<ReplicaState> CatchUpAsync(DeviceConnection connection, ReplicaState reference, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            var entries = connection.Device.Entries();
            if (SameState(reference.Entries, entries) || DateTime.UtcNow > deadline)
            {
                return new ReplicaState(connection.Id, connection.Node, entries);
            }

            await Task.Delay(100);
        }
    }

    // Writes of different writers on one key at one timestamp: where the tie rule, not the clock, decides.
    private static int TimestampTies(IReadOnlyList<PushRecord> pushes) => pushes
        .SelectMany(p => p.Changes)
        .Distinct()
        .GroupBy(c => (c.Key, c.Write.Timestamp))
        .Count(g => g.Select(c => c.Write.DeviceId).Distinct().Count() > 1);

    private static string Shorten(string error) => error.Length <= 100 ? error : error[..100];

    private static bool SameState(IReadOnlyDictionary<string, EntryState> expected, Dictionary<string, EntryState> actual) =>
        expected.Count == actual.Count && expected.All(e => StateAssert.Same(e.Value, actual.GetValueOrDefault(e.Key)));
}
