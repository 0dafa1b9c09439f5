namespace NoteSync.Cli;

/// <summary>What <see cref="FolderSync.ReconcileAsync"/> did.</summary>
internal enum ReconcileOutcome
{
    None,
    Pushed,
    Pulled,
    LocalPending,
    Skipped,
}
