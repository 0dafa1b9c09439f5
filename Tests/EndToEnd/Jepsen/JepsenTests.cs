using NoteSync.Tests.Infra;
using Xunit.Abstractions;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// Jepsen-style runs: three nodes on one Redis, writers over every transport through
/// the rounds of one or two kinds of fault, then the checker. Each scenario is a fresh cluster on fresh ports and
/// directories. CI defaults: 10 s of load and 2 fault rounds; <c>NOTESYNC_SOAK_SECONDS</c> makes it a soak
/// (docs/testing.md).
/// </summary>
[LongRunning(160)]
public sealed class JepsenTests(ITestOutputHelper output)
{
    // Well below what a healthy run acknowledges while its faults go on (hundreds), well above zero.
    private const int MinAckedDuringFaults = 20;

    // Each kind of fault strikes at least once in CI's two rounds, the second a service just back from the first.
    [Fact]
    public Task NoAcknowledgedWriteIsLostAndDevicesConvergeWhenNodesAreKilledOrStopped() =>
        RunAsync(new FaultsInTurn(new NodeKillFault(), new NodePauseFault()));

    [Fact]
    public Task NoAcknowledgedWriteIsLostWhenRedisIsKilledOrRestartedGracefully() =>
        RunAsync(new FaultsInTurn(new RedisRestartFault(graceful: false), new RedisRestartFault(graceful: true)));

    // In CI the two rounds are the failover and the failback: each takes about 20 s, since the old
    // primary rejoins only at Sentinel's next 10 s poll (docs/operations.md).
    [Fact]
    public Task NoAcknowledgedWriteIsLostThroughSentinelFailovers() => RunAsync(new SentinelFailoverFault(), JepsenBackend.Sentinel);

    [Fact]
    public Task NoAcknowledgedWriteIsLostWhenARedisClusterShardFailsOver() => RunAsync(new ShardFailoverFault(), JepsenBackend.Cluster);

    [Fact]
    public async Task TheCheckerFailsARunOnARedisThatLosesItsData()
    {
        // Arrange: the one service known to be broken: a Redis without persistence, killed -9, comes
        // back empty. The nodes that lived through it may still serve the lost writes from memory;
        // the node started for the final read cannot. Short and fixed, soak or not; the devices that
        // hold the lost writes never catch up with the nodes, so they are not waited for long.
        var settings = JepsenSettings.FromEnvironment() with { Load = TimeSpan.FromSeconds(6), Rounds = 1, CatchUp = TimeSpan.FromSeconds(1) };

        // Act
        var result = await JepsenRun.ExecuteAsync(new RedisRestartFault(graceful: false), settings, output, JepsenBackend.VolatileRedis);

        // Assert: the writes acknowledged before the kill are missing from the store's own view.
        Assert.True(
            result.Violations.Any(v => v.Kind == ViolationKind.LostAckedWrite && v.Message.Contains("final-reader-fresh", StringComparison.Ordinal)),
            $"the data a volatile Redis dropped went unnoticed: {result.Summary}");
    }

    private async Task RunAsync(IFault fault, JepsenBackend backend = JepsenBackend.DurableRedis)
    {
        var settings = JepsenSettings.FromEnvironment();
        var result = await JepsenRun.ExecuteAsync(fault, settings, output, backend);

        Assert.True(result.Violations.Count == 0, $"{result.Violations.Count} violation(s):{Environment.NewLine}"
            + string.Join(Environment.NewLine, result.Violations.Take(30)) + $"{Environment.NewLine}{result.Summary}");

        // The run did something: faults happened, writes went through them, some were cut and retried.
        Assert.True(result.History.Faults.Count >= (settings.Rounds ?? 1), result.Summary);
        Assert.True(result.AckedDuringFaults >= MinAckedDuringFaults, $"only {result.AckedDuringFaults} writes acknowledged during the faults: {result.Summary}");
        Assert.True(result.NotAcked > 0, $"no push was ever refused or cut, so the faults touched nothing: {result.Summary}");
        Assert.True(result.AckedRetries > 0, $"no retried push was ever acknowledged: {result.Summary}");
        Assert.True(result.LiveDevicesChecked > 0, $"no device stayed connected to check convergence on: {result.Summary}");
    }
}
