using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// Says what a reset does, in words a person reads: the server's history changed (a restore from a backup,
/// a failover), so the folder's notes are read again and what the server lost is uploaded again. Pages
/// show as progress, so a large space never looks stuck.
/// </summary>
internal sealed class ResetReport(CliOutput output)
{
    private bool _readingShown;

    public void On(HistoryResetProgress progress)
    {
        switch (progress.Phase)
        {
            case HistoryResetPhase.Started:
                _readingShown = false;
                output.Notice("the server's history changed (restore or failover): re-reading the space; nothing here is lost, edits stay queued");
                break;
            case HistoryResetPhase.Reading:
                _readingShown = true;
                output.Progress($"re-reading the space: {progress.NotesReceived:N0} notes received");
                break;
            case HistoryResetPhase.Finished:
                if (_readingShown)
                {
                    output.ProgressDone($"re-reading the space: {progress.NotesReceived:N0} notes received");
                }

                output.Notice(progress.NotesToReupload == 0
                    ? $"the server's history changed (restore or failover): re-read the space ({progress.NotesReceived:N0} notes), the server lost nothing this device holds"
                    : $"the server's history changed (restore or failover): re-read the space ({progress.NotesReceived:N0} notes), re-uploading {progress.NotesToReupload:N0} notes the server lost");
                break;
        }
    }
}
