namespace NoteSync.Cli;

/// <summary>Counts of a scan's outcomes.</summary>
internal sealed class ScanCounts
{
    public int Pushed { get; private set; }

    public int Pulled { get; private set; }

    public int LocalPending { get; private set; }

    public int Skipped { get; private set; }

    public void Add(ReconcileOutcome outcome)
    {
        switch (outcome)
        {
            case ReconcileOutcome.Pushed: Pushed++; break;
            case ReconcileOutcome.Pulled: Pulled++; break;
            case ReconcileOutcome.LocalPending: LocalPending++; break;
            case ReconcileOutcome.Skipped: Skipped++; break;
        }
    }
}
