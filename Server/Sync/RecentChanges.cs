using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;

namespace NoteSync.Server.Sync;

/// <summary>
/// The newest part of each space's log, in memory, so that a burst of writes fanned out to many
/// devices costs no store reads. It is only an accelerator: every answer it gives is exactly what
/// the store would give, and whenever it cannot be sure of that it declines and the caller reads the
/// store (see <see cref="SpaceWindow"/> for the invariant). A space has a window only while some
/// device is connected to it live (<see cref="Retain"/>), so memory follows live spaces, not every
/// space ever written: a space polled over HTTP alone is read from the store.
/// </summary>
internal sealed class RecentChanges(IOptions<NoteSyncOptions> options)
{
    private readonly int _capacity = options.Value.Sync.RecentChangesPerSpace;
    private readonly long _maxBytes = options.Value.Sync.RecentChangesBytesPerSpace;
    private readonly ConcurrentDictionary<string, SpaceWindow> _spaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _holders = new(StringComparer.Ordinal);
    private readonly Lock _holdersLock = new();

    /// <summary>Keeps a window for <paramref name="space"/> until the result is disposed.</summary>
    public IDisposable Retain(string space)
    {
        if (_capacity > 0)
        {
            lock (_holdersLock)
            {
                _holders[space] = _holders.GetValueOrDefault(space) + 1;
                _spaces.GetOrAdd(space, static (_, limits) => new SpaceWindow(limits.Capacity, limits.MaxBytes), (Capacity: _capacity, MaxBytes: _maxBytes));
            }
        }

        return new Holder(this, space);
    }

    /// <summary>Records a commit of this node.</summary>
    public void OnApplied(string space, ApplyResult applied)
    {
        if (_spaces.TryGetValue(space, out var window))
        {
            window.OnApplied(applied);
        }
    }

    /// <summary>Whether <paramref name="space"/> has a window (a live device holds it).</summary>
    public bool IsRetained(string space) => _spaces.ContainsKey(space);

    /// <summary>Records that the space's clock reached <paramref name="cursor"/> by a commit of another node, so the window declines until a store read joins it up.</summary>
    public void OnHeard(string space, long cursor)
    {
        if (_spaces.TryGetValue(space, out var window))
        {
            window.OnHeard(cursor);
        }
    }

    /// <summary>Records a complete store read of everything after <paramref name="after"/>.</summary>
    public void OnRead(string space, long after, ChangePage page)
    {
        if (!page.More && _spaces.TryGetValue(space, out var window))
        {
            window.OnRead(after, page);
        }
    }

    private void Release(string space)
    {
        if (_capacity == 0)
        {
            return;
        }

        lock (_holdersLock)
        {
            var left = _holders[space] - 1;
            if (left > 0)
            {
                _holders[space] = left;
                return;
            }

            _holders.Remove(space);
            _spaces.TryRemove(space, out _);
        }
    }

    /// <summary>Remembers a live push of <paramref name="space"/> for reuse (dropped with the space's window).</summary>
    public void RememberLiveFrame(string space, LiveFrame frame)
    {
        if (_spaces.TryGetValue(space, out var window))
        {
            window.RememberLiveFrame(frame);
        }
    }

    /// <summary>The remembered live push for devices at <paramref name="after"/>, when it is still exact.</summary>
    public LiveFrame? LiveFrameFor(string space, long after) =>
        _spaces.TryGetValue(space, out var window) ? window.LiveFrameFor(after) : null;

    /// <summary>Answers "changes since <paramref name="after"/>" from memory when that answer is exact.</summary>
    public bool TryRead(string space, long after, int maxChanges, long maxBytes, out ChangePage page)
    {
        if (_spaces.TryGetValue(space, out var window))
        {
            return window.TryRead(after, maxChanges, maxBytes, out page);
        }

        page = null!;
        return false;
    }

    private sealed class Holder(RecentChanges owner, string space) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(space);
            }
        }
    }
}
