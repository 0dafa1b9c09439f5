using System.Net;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

// The server's history of notes (docs/protocol.md §4.13): versions, one version's text, a merge of two heads, the trash; and
// restoring, which is an ordinary local write.
public sealed partial class NoteSyncClient
{
    // A rate-limited request is sent again after the server's wait, this many times in all.
    private const int HistoryRequestAttempts = 4;

    /// <summary>
    /// The versions the server keeps of the note at <paramref name="path"/>, newest first; empty for a note it
    /// holds no history of. Asked over the hub while it is open, else with <c>GET /sync/history</c>.
    /// </summary>
    /// <exception cref="ServerUnreachableException">The server could not be reached or did not answer in time.</exception>
    /// <exception cref="TokenRefusedException">The server refused the token.</exception>
    /// <exception cref="NotSupportedException">The server predates history requests.</exception>
    public async Task<IReadOnlyList<NoteHistoryEntry>> GetHistoryAsync(string path, CancellationToken cancellationToken = default)
    {
        var key = HistoryKeyOf(path);
        var history = await RequestAsync((t, ct) => t.HistoryAsync(key, ct), cancellationToken).ConfigureAwait(false);
        return [.. history.Versions.Select(ToEntry)];
    }

    /// <summary>The text of one version of the note at <paramref name="path"/>; null when that version is a delete.</summary>
    /// <exception cref="KeyNotFoundException">The server's history holds no such version (never written, or dropped by its retention).</exception>
    /// <exception cref="ServerUnreachableException">The server could not be reached or did not answer in time.</exception>
    /// <exception cref="TokenRefusedException">The server refused the token.</exception>
    /// <exception cref="NotSupportedException">The server predates history requests.</exception>
    public async Task<string?> GetVersionAsync(string path, long timestamp, string deviceId, CancellationToken cancellationToken = default)
    {
        var key = HistoryKeyOf(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(timestamp, 1);
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        var version = await RequestAsync((t, ct) => t.VersionAsync(key, timestamp, deviceId, ct), cancellationToken).ConfigureAwait(false);
        return version.Value;
    }

    /// <summary>
    /// A suggested merge of the note at <paramref name="path"/> while it is in conflict: the server's line merge of
    /// its two heads from the version both were edited from, with git-style markers (<c>&lt;&lt;&lt;&lt;&lt;&lt;&lt;</c>,
    /// <c>=======</c>, <c>&gt;&gt;&gt;&gt;&gt;&gt;&gt;</c>) where the edits overlap. Nothing is written: the finished
    /// text is the caller's to write (<see cref="PutAsync(string, string, CancellationToken)"/> writes it as an edit of both heads the replica holds).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The note is not two heads of text with a common version in the server's history.</exception>
    /// <exception cref="ServerUnreachableException">The server could not be reached or did not answer in time.</exception>
    /// <exception cref="TokenRefusedException">The server refused the token.</exception>
    /// <exception cref="NotSupportedException">The server predates merge requests.</exception>
    public async Task<MergeSuggestionResult> GetMergeSuggestionAsync(string path, CancellationToken cancellationToken = default)
    {
        var key = HistoryKeyOf(path);
        var merge = await RequestAsync((t, ct) => t.MergeAsync(key, ct), cancellationToken).ConfigureAwait(false);
        return new MergeSuggestionResult(merge.Clean, merge.Value);
    }

    /// <summary>The space's deleted notes, newest deletion first, as many as the server lists (<c>NoteSync:History:TrashNotesListed</c>).</summary>
    /// <exception cref="ServerUnreachableException">The server could not be reached or did not answer in time.</exception>
    /// <exception cref="TokenRefusedException">The server refused the token.</exception>
    /// <exception cref="NotSupportedException">The server predates history requests.</exception>
    public async Task<IReadOnlyList<TrashedNote>> GetTrashAsync(CancellationToken cancellationToken = default)
    {
        var trash = await RequestAsync((t, ct) => t.TrashAsync(ct), cancellationToken).ConfigureAwait(false);
        return [.. trash.Notes
            .Where(n => n.Key.StartsWith(ProtocolLimits.KeyPrefix, StringComparison.Ordinal))
            .Select(n => new TrashedNote(
                n.Key[ProtocolLimits.KeyPrefix.Length..],
                DateTimeOffset.FromUnixTimeMilliseconds(n.DeletedAt),
                new NoteVersionId(n.Deleted.Timestamp, n.Deleted.DeviceId),
                n.Last is { } last ? new NoteVersion(last.Value, last.Timestamp, last.DeviceId) : null))];
    }

    /// <summary>
    /// Makes the note at <paramref name="path"/> hold the text of one of its versions again (a delete deletes it):
    /// fetches it, then writes it as <see cref="PutAsync(string, string, CancellationToken)"/> (or <see cref="DeleteAsync"/>) would, an edit of the
    /// versions the replica holds, queued offline-safely and synced like any edit. Returns the text written, null for a delete.
    /// </summary>
    /// <remarks>
    /// The write replaces what the replica holds: sync first (<see cref="SyncNowAsync"/>) so that it holds what the
    /// server does, or a version written elsewhere meanwhile stays beside the restore as a conflict.
    /// </remarks>
    /// <exception cref="ArgumentException">The path cannot be written (see <see cref="PutAsync(string, string, CancellationToken)"/>).</exception>
    /// <exception cref="KeyNotFoundException">The server's history holds no such version.</exception>
    /// <exception cref="ServerUnreachableException">The server could not be reached or did not answer in time; nothing was written.</exception>
    /// <exception cref="TokenRefusedException">The server refused the token.</exception>
    /// <exception cref="NotSupportedException">The server predates history requests.</exception>
    public async Task<string?> RestoreAsync(string path, long timestamp, string deviceId, CancellationToken cancellationToken = default)
    {
        KeyOf(path);
        var value = await GetVersionAsync(path, timestamp, deviceId, cancellationToken).ConfigureAwait(false);
        await WriteAsync(path, value, cancellationToken).ConfigureAwait(false);
        return value;
    }

    /// <summary>
    /// Takes the note at <paramref name="path"/> out of the server's trash: writes the last text it had (the trash
    /// entry's <see cref="TrashedNote.Last"/>) as <see cref="RestoreAsync"/> does. Returns that text.
    /// </summary>
    /// <exception cref="ArgumentException">The path cannot be written (see <see cref="PutAsync(string, string, CancellationToken)"/>).</exception>
    /// <exception cref="KeyNotFoundException">The trash lists no note at that path, or its history kept none of its text.</exception>
    /// <exception cref="ServerUnreachableException">The server could not be reached or did not answer in time; nothing was written.</exception>
    /// <exception cref="TokenRefusedException">The server refused the token.</exception>
    /// <exception cref="NotSupportedException">The server predates history requests.</exception>
    public async Task<string> UndeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        KeyOf(path);
        var trashed = (await GetTrashAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(n => n.Path == path)
            ?? throw new KeyNotFoundException($"'{Shared.PrintableText.Escape(path)}' is not in the trash");
        var text = trashed.Last?.Value
            ?? throw new KeyNotFoundException($"the history of '{Shared.PrintableText.Escape(path)}' keeps none of its text");
        await WriteAsync(path, text, cancellationToken).ConfigureAwait(false);
        return text;
    }

    private static NoteHistoryEntry ToEntry(HistoryVersion v) => new(
        new NoteVersionId(v.Timestamp, v.DeviceId),
        DateTimeOffset.FromUnixTimeMilliseconds(v.CommittedAt),
        v.Bytes,
        v.Deleted,
        v.Head,
        v.Base is { } b ? [.. b.Select(r => new NoteVersionId(r.Timestamp, r.DeviceId))] : null);

    // Reads take any path, as Get does; the server checks only that the key is note:<path>, non-empty.
    private static string HistoryKeyOf(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ReadKeyOf(path);
    }

    /// <summary>
    /// One history request: over the hub while the loop holds it open (a request there waits behind a push on the
    /// same connection, docs/protocol.md §5.6), else, or should the hub drop under it, over HTTP. Bounded by
    /// <see cref="NoteSyncClientOptions.RequestTimeout"/> per attempt; failures become the exceptions the API documents.
    /// </summary>
    private async Task<T> RequestAsync<T>(Func<IHistoryRequests, CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Volatile.Read(ref _hub) is { IsOpen: true } hub)
                {
                    try
                    {
                        return await WithTimeoutAsync(hub, request, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsLostConnection(ex, cancellationToken))
                    {
                        // The loop reconnects on its own; this request need not wait for it.
                    }
                }

                return await WithTimeoutAsync(_polling, request, cancellationToken).ConfigureAwait(false);
            }
            catch (RateLimitedException ex) when (attempt < HistoryRequestAttempts)
            {
                await Task.Delay(ex.RetryAfter, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && Translate(ex) is { } translated)
            {
                throw translated;
            }
        }
    }

    private async Task<T> WithTimeoutAsync<T>(IHistoryRequests transport, Func<IHistoryRequests, CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RequestTimeout);
        try
        {
            return await request(transport, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s (RequestTimeout)", ex);
        }
    }

    // Anything but the server's answer: the connection went away under the request.
    private static bool IsLostConnection(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && ex is not (ServerErrorException or PushRejectedException or RateLimitedException or QuotaExceededException or TokenRefusedException or HubException);

    /// <summary>What a failed history request is thrown as; null to let it through as it is.</summary>
    private Exception? Translate(Exception ex) => ex switch
    {
        TokenRefusedException when TokenGiven => null,
        TokenRefusedException or HttpRequestException { StatusCode: HttpStatusCode.Unauthorized } => TokenRefusedException.Of(TokenGiven, "401", ex),
        RateLimitedException => new ServerUnreachableException($"the server kept refusing the request as rate limited: {ex.Message}", ex),
        ServerErrorException { Code: ErrorCodes.NotFound } => new KeyNotFoundException(ex.Message, ex),
        ServerErrorException { Code: ErrorCodes.Unavailable } => new ServerUnreachableException($"the server at {_baseUri} is unavailable: {ex.Message}", ex),
        PushRejectedException rejected => new InvalidOperationException($"the server refused the request: {rejected.Code}: {rejected.Reason}", ex),
        HttpRequestException { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed } or HubException =>
            new NotSupportedException($"the server at {_baseUri} does not answer history requests (it predates them?): {ex.Message}", ex),
        HttpRequestException or IOException or TimeoutException or System.Net.WebSockets.WebSocketException =>
            new ServerUnreachableException($"the server at {_baseUri} could not be reached: {Describe(ex)}", ex),
        ServerErrorException or QuotaExceededException => new InvalidOperationException($"the server could not answer: {ex.Message}", ex),
        _ => null,
    };
}
