using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Sync;

// The history requests (docs/protocol.md §4.13), the same for every transport: a note's versions, one
// version's text, the trash. Reads only; the space is the caller's, as for every push.
internal sealed partial class SyncService
{
    /// <summary>The versions of <paramref name="key"/>, newest first, or why not.</summary>
    public async Task<(NoteHistory? History, ErrorFrame? Error)> ReadHistoryAsync(string space, string key, string? requestId, CancellationToken cancellationToken)
    {
        if (HistoryKeyError(key, requestId) is { } invalid)
        {
            return (null, invalid);
        }

        return await AnswerFromStoreAsync<NoteHistory>(
            space,
            requestId,
            async () =>
            {
                var records = await ReadHistoryRecordsAsync(space, key, cancellationToken).ConfigureAwait(false);
                return (new NoteHistory { Key = key, Versions = [.. records.Select(ToWire)], RequestId = requestId }, null);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The version (<paramref name="timestamp"/>, <paramref name="deviceId"/>) of <paramref name="key"/> with its text, or why not.</summary>
    public async Task<(NoteVersion? Version, ErrorFrame? Error)> ReadVersionAsync(string space, string key, long timestamp, string deviceId, string? requestId, CancellationToken cancellationToken)
    {
        if (HistoryKeyError(key, requestId) is { } invalid)
        {
            return (null, invalid);
        }

        if (timestamp is < 1 or > ProtocolLimits.MaxTimestamp)
        {
            return (null, ProtocolError.BadRequest("timestamp must be an integer in 1..2^53-1").ToFrame(requestId));
        }

        if (DeviceIds.Check(deviceId) is { } badDevice)
        {
            return (null, ProtocolError.BadRequest(badDevice).ToFrame(requestId));
        }

        return await AnswerFromStoreAsync<NoteVersion>(
            space,
            requestId,
            async () =>
            {
                var found = await store.ReadVersionAsync(space, key, timestamp, deviceId, cancellationToken).ConfigureAwait(false);
                return found is null
                    ? (null, new ErrorFrame { Code = ErrorCodes.NotFound, Message = $"the history of {key} holds no version ({timestamp}, {deviceId})", RequestId = requestId })
                    : (new NoteVersion { Key = key, Version = ToWire(found.Version), Value = found.Value, RequestId = requestId }, null);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The deleted notes of <paramref name="space"/>, newest deletion first, or why not.</summary>
    public Task<(TrashList? Trash, ErrorFrame? Error)> ReadTrashAsync(string space, string? requestId, CancellationToken cancellationToken) =>
        AnswerFromStoreAsync<TrashList>(
            space,
            requestId,
            async () =>
            {
                var notes = await store.ReadTrashAsync(space, _history.TrashNotesListed, cancellationToken).ConfigureAwait(false);
                return (new TrashList { Notes = [.. notes.Select(ToWire)], RequestId = requestId }, null);
            },
            cancellationToken);

    /// <summary>
    /// The answer <paramref name="read"/> makes, or, when the store fails it, the error a push would get
    /// (<see cref="StoreError"/>), logged here once for every history request. A request whose caller went away
    /// ends with its cancellation, which is no store failure.
    /// </summary>
    private async Task<(T? Answer, ErrorFrame? Error)> AnswerFromStoreAsync<T>(string space, string? requestId, Func<Task<(T?, ErrorFrame?)>> read, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.StoreFailed(logger, space, "-", ex);
            return (null, StoreError(ex, requestId));
        }
    }

    // Every version the retention keeps: heads are kept beyond VersionsPerNote, and a note has at most MaxWritesPerNote of them.
    private Task<IReadOnlyList<NoteVersionRecord>> ReadHistoryRecordsAsync(string space, string key, CancellationToken cancellationToken) =>
        store.ReadHistoryAsync(space, key, _history.VersionsPerNote + _maxHeadsPerNote, cancellationToken);

    // Keys stored before the key rule are still read (docs/protocol.md §1.4), so only the shape is checked.
    private ErrorFrame? HistoryKeyError(string? key, string? requestId) =>
        key is null || !key.StartsWith(ProtocolLimits.KeyPrefix, StringComparison.Ordinal) || key.Length == ProtocolLimits.KeyPrefix.Length
            ? ProtocolError.BadRequest("key must be 'note:<path>' with a non-empty path").ToFrame(requestId)
            : System.Text.Encoding.UTF8.GetByteCount(key) > Limits.MaxKeyBytes
                ? ProtocolError.BadRequest($"key must be at most {Limits.MaxKeyBytes} UTF-8 bytes").ToFrame(requestId)
                : null;

    private static HistoryVersion ToWire(NoteVersionRecord r) => new()
    {
        Timestamp = r.Timestamp,
        DeviceId = r.DeviceId,
        CommittedAt = r.CommittedAt,
        Bytes = r.Bytes,
        Deleted = r.IsDelete,
        Head = r.IsHead,
        Base = r.Base is { } b ? [.. b.Select(v => new VersionRef { Timestamp = v.Timestamp, DeviceId = v.DeviceId })] : null,
    };

    private static TrashedNoteInfo ToWire(TrashedNote t) => new()
    {
        Key = t.Key,
        DeletedAt = t.DeletedAt,
        Deleted = new VersionRef { Timestamp = t.DeleteTimestamp, DeviceId = t.DeletedBy },
        Last = t.LastText is Write w ? new ConflictSibling { Value = w.Value, Timestamp = w.Timestamp, DeviceId = w.DeviceId } : null,
    };
}
