using System.Threading.Channels;
using NoteSync.Server.Sync;

namespace NoteSync.Tests.Unit.Sessions;

/// <summary>
/// A connection for unit tests of <see cref="OutboundQueue"/> and <see cref="DeviceSession"/>: it records
/// every frame as its send starts, completes sends only as the test lets it (<see cref="Allow"/>) unless
/// it is open, and can fail its next send.
/// </summary>
internal sealed class FakeSink : IFrameSink
{
    private readonly Lock _lock = new();
    private readonly List<OutboundFrame> _started = [];
    private readonly Channel<bool> _permits = Channel.CreateUnbounded<bool>();
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<OutboundFrame> _written = Channel.CreateUnbounded<OutboundFrame>();
    private readonly bool _open;
    private Exception? _failNext;

    /// <param name="open">True: every send completes at once. False: each waits for a permit from <see cref="Allow"/>.</param>
    public FakeSink(bool open = true)
    {
        _open = open;
    }

    public Task Aborted => _aborted.Task;

    /// <summary>Frames whose send started, in order.</summary>
    public IReadOnlyList<OutboundFrame> Started
    {
        get
        {
            lock (_lock)
            {
                return [.. _started];
            }
        }
    }

    /// <summary>Lets <paramref name="sends"/> more sends complete.</summary>
    public void Allow(int sends)
    {
        for (var i = 0; i < sends; i++)
        {
            _permits.Writer.TryWrite(true);
        }
    }

    public void FailNextSend(Exception error) => Volatile.Write(ref _failNext, error);

    /// <summary>The next frame whose send completed.</summary>
    public Task<OutboundFrame> NextWrittenAsync() => _written.Reader.ReadAsync().AsTask().WaitAsync(Waits.Bound);

    public async ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _failNext, null) is { } error)
        {
            throw error;
        }

        lock (_lock)
        {
            _started.Add(frame);
        }

        if (!_open)
        {
            await _permits.Reader.ReadAsync(cancellationToken);
        }

        _written.Writer.TryWrite(frame);
    }

    public void Abort() => _aborted.TrySetResult();
}

/// <summary>Condition waits for the session unit tests: poll until true, failing after a bound that only a hang reaches.</summary>
internal static class Waits
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(1);
        }
    }
}
