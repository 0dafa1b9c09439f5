namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>A finished run: its history, what the checker found, and a summary for the test output.</summary>
internal sealed record JepsenResult(JepsenHistory History, IReadOnlyList<Violation> Violations, TimeSpan FaultWindowStart, TimeSpan FaultWindowEnd, int LiveDevicesChecked, string Summary)
{
    public int AckedDuringFaults => History.Pushes.Count(p =>
        p.Outcome == PushOutcome.Acked && p.AnsweredAt >= FaultWindowStart && p.AnsweredAt <= FaultWindowEnd);

    public int NotAcked => History.Pushes.Count(p => p.Outcome is PushOutcome.Failed or PushOutcome.Unknown);

    public int AckedRetries => History.Pushes.Count(p => p.Outcome == PushOutcome.Acked && p.IsRetry);
}
