namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// Several kinds of fault in one scenario, one per round in turn: each kind also strikes a service that has
/// just recovered from another, and the suite pays for one cluster's start and final read instead of one per kind.
/// </summary>
internal sealed class FaultsInTurn(params IFault[] faults) : IFault
{
    private int _round;

    public string Name => string.Join(", then ", faults.Select(f => f.Name));

    public Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random) =>
        faults[_round++ % faults.Length].InjectRoundAsync(cluster, history, random);
}
