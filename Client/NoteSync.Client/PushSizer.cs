using System.Text.Json;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// How large the next push may be, by count and by bytes: the client's own bounds, the server's limits
/// once an answer told them (docs/protocol.md §4.4), smaller after a push timed out
/// or was cut and larger again once pushes go through well within their time, and one write at a time
/// while a refused batch is halved to find the write refused. Thread-safe.
/// </summary>
internal sealed class PushSizer(NoteSyncClientOptions options, string deviceId)
{
    /// <summary>The most bytes of changes pushed before the server told its limits: well under any it may set.</summary>
    public const long UnknownLimitsPushBytes = 64 * 1024;

    /// <summary>Room for a push's fields besides its changes (type, last_ack, epoch, request_id), generously.</summary>
    public const long EnvelopeBytes = 1024;

    private readonly Lock _gate = new();
    private SyncLimits? _limits;
    private long _pushBytes = options.MaxPushBytes;
    private int? _isolateCap;
    private bool _learnLimitsFirst;

    /// <summary>
    /// True when a push of <paramref name="bytes"/> must wait for a pull that learns the limits: it is
    /// larger than is safe unknowing, or a push was lost before they were known. A hub closes the
    /// connection on a message over them instead of answering.
    /// </summary>
    public bool MustLearnLimitsFirst(long bytes)
    {
        lock (_gate)
        {
            return _limits is null && (bytes > UnknownLimitsPushBytes || _learnLimitsFirst);
        }
    }

    /// <summary>Takes the limits an answer told.</summary>
    public void Learned(SyncLimits? limits)
    {
        if (limits is null)
        {
            return;
        }

        lock (_gate)
        {
            _limits = limits;
        }
    }

    /// <summary>After the pull that was to tell them: a server that does not tell them leaves our own bounds.</summary>
    public void LearnedOrNone()
    {
        lock (_gate)
        {
            _learnLimitsFirst = false;
            _limits ??= new SyncLimits { MaxMessageBytes = long.MaxValue, MaxChangesPerPush = int.MaxValue };
        }
    }

    /// <summary>
    /// A new connection whose limits come with its first answer: until then they are unknown, so the
    /// first push of a connection stays under <see cref="UnknownLimitsPushBytes"/> (a server restarted
    /// with smaller limits would otherwise close the connection on it).
    /// </summary>
    public void NewConnection()
    {
        lock (_gate)
        {
            _limits = null;
        }
    }

    /// <summary>The most writes in the next push: ours, the server's, and the halving that isolates a refused write.</summary>
    public int CountLimit()
    {
        lock (_gate)
        {
            return (int)Math.Max(1, Math.Min(Math.Min(options.MaxChangesPerPush, _limits?.MaxChangesPerPush ?? int.MaxValue), _isolateCap ?? int.MaxValue));
        }
    }

    /// <summary>The most bytes of changes in the next push: ours (smaller after a timeout), under the server's message limit.</summary>
    public long ByteLimit()
    {
        lock (_gate)
        {
            return Math.Max(1, Math.Min(_pushBytes, (_limits?.MaxMessageBytes ?? long.MaxValue) - EnvelopeBytes));
        }
    }

    /// <summary>True when one write of <paramref name="bytes"/> cannot be sent at all: the server would drop the connection, not answer.</summary>
    public bool OverMessageLimit(long bytes, out long maxMessageBytes)
    {
        lock (_gate)
        {
            maxMessageBytes = _limits?.MaxMessageBytes ?? long.MaxValue;
            return _limits is not null && bytes + EnvelopeBytes > maxMessageBytes;
        }
    }

    /// <summary>A push is atomic: after one of <paramref name="count"/> writes was refused, the next holds half as many.</summary>
    public int Halve(int count)
    {
        var next = count / 2;
        lock (_gate)
        {
            _isolateCap = next;
        }

        return next;
    }

    /// <summary>The refused write was found (or the round starts afresh): pushes as large as allowed again.</summary>
    public void EndIsolation()
    {
        lock (_gate)
        {
            _isolateCap = null;
        }
    }

    /// <summary>A push of <paramref name="bytes"/> timed out or was cut: smaller ones from now on, so a slow link still makes progress.</summary>
    public void Failed(long bytes)
    {
        lock (_gate)
        {
            _pushBytes = Math.Max(1, Math.Min(_pushBytes, bytes) / 2);
            _learnLimitsFirst |= _limits is null;
        }
    }

    /// <summary>After pushes made smaller by a timeout, larger ones again once a push went through well within its time.</summary>
    public void Succeeded(long bytes, long elapsedMs, TimeSpan allowed)
    {
        lock (_gate)
        {
            if (_pushBytes < options.MaxPushBytes && bytes * 2 > _pushBytes && elapsedMs * 4 < allowed.TotalMilliseconds)
            {
                _pushBytes = Math.Min(options.MaxPushBytes, _pushBytes * 2);
            }
        }
    }

    /// <summary>
    /// How long a push of <paramref name="bytes"/> may take: the upload's share grows with its size, or a
    /// fixed deadline would cut a large push on a slow link every time, and it would be sent again, whole, forever.
    /// </summary>
    public TimeSpan Allowed(long bytes) => options.RequestTimeout + TimeSpan.FromSeconds((double)bytes / options.MinUploadBytesPerSecond);

    /// <summary>A change's size in the push as sent over HTTP (JSON; the hub's MessagePack is smaller), comma included.</summary>
    public long ChangeBytes(OutboxItem item) =>
        JsonSerializer.SerializeToUtf8Bytes(item.ToChange(deviceId), NoteSyncJsonContext.Wire.Change).Length + 1;
}
