using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// The history requests of docs/protocol.md §4.13 over one transport: the hub's methods or the HTTP GETs.
/// Refusals are thrown as <see cref="ServerRefusal"/> classifies them (a version the history lacks is a
/// <see cref="ServerErrorException"/> with code <c>not_found</c>); a lost connection as the transport's own exception.
/// </summary>
internal interface IHistoryRequests
{
    /// <summary>The versions of the note under <paramref name="key"/>, newest first.</summary>
    Task<NoteHistory> HistoryAsync(string key, CancellationToken cancellationToken);

    /// <summary>One version of the note with its text.</summary>
    Task<NoteSync.Shared.Protocol.NoteVersion> VersionAsync(string key, long timestamp, string deviceId, CancellationToken cancellationToken);

    /// <summary>The line merge of the note's two heads, with markers where they overlap.</summary>
    Task<MergeSuggestion> MergeAsync(string key, CancellationToken cancellationToken);

    /// <summary>The space's deleted notes, newest deletion first.</summary>
    Task<TrashList> TrashAsync(CancellationToken cancellationToken);
}
