using System.Diagnostics;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// Everything the writers, observers and fault injectors did in one run, on one clock. Thread-safe:
/// writers record concurrently.
/// </summary>
internal sealed class JepsenHistory
{
    private readonly Lock _lock = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<PushRecord> _pushes = [];
    private readonly List<ConnectionLog> _connections = [];
    private readonly List<FaultEvent> _faults = [];

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<PushRecord> Pushes
    {
        get
        {
            lock (_lock)
            {
                return [.. _pushes];
            }
        }
    }

    public IReadOnlyList<ConnectionLog> Connections
    {
        get
        {
            lock (_lock)
            {
                return [.. _connections];
            }
        }
    }

    public IReadOnlyList<FaultEvent> Faults
    {
        get
        {
            lock (_lock)
            {
                return [.. _faults];
            }
        }
    }

    public PushRecord BeginPush(string writer, string connectionId, int node, Transport transport, IReadOnlyList<WrittenChange> changes, bool isRetry)
    {
        lock (_lock)
        {
            var record = new PushRecord
            {
                Id = _pushes.Count + 1,
                Writer = writer,
                ConnectionId = connectionId,
                Node = node,
                Transport = transport,
                Changes = changes,
                IsRetry = isRetry,
                SentAt = Now,
            };
            _pushes.Add(record);
            return record;
        }
    }

    public void Complete(PushRecord record, PushOutcome outcome, long? ackTimestamp = null, string? error = null, bool more = false)
    {
        lock (_lock)
        {
            record.AckMore = more;
            record.Outcome = outcome;
            record.AnsweredAt = Now;
            record.AckTimestamp = ackTimestamp;
            record.Error = error;
        }
    }

    public void AddConnection(ConnectionLog log)
    {
        lock (_lock)
        {
            _connections.Add(log);
        }
    }

    public void AddFault(FaultEvent fault)
    {
        lock (_lock)
        {
            _faults.Add(fault);
        }
    }
}
