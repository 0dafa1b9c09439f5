using System.Collections.Concurrent;

namespace NoteSync.Server.Fanout;

/// <summary>The doorbell of a single node: listeners in copy-on-write arrays, so a ring iterates without locks or allocation.</summary>
internal sealed class InProcessDoorbell<TFrame> : IDoorbell<TFrame>
    where TFrame : class
{
    private readonly ConcurrentDictionary<string, Listeners> _spaces = new(StringComparer.Ordinal);

    public void Ring(string space, long cursor, TFrame? frame)
    {
        if (_spaces.TryGetValue(space, out var listeners))
        {
            foreach (var listener in listeners.Current)
            {
                listener.OnSpaceAdvanced(cursor, frame);
            }
        }
    }

    public IDisposable Listen(string space, ISpaceListener<TFrame> listener)
    {
        while (true)
        {
            var listeners = _spaces.GetOrAdd(space, static _ => new Listeners());
            if (listeners.TryAdd(listener))
            {
                return new Subscription(this, space, listeners, listener);
            }

            // Raced with the removal of the space's last listener: that set is retired, take a new one.
            _spaces.TryRemove(new KeyValuePair<string, Listeners>(space, listeners));
        }
    }

    private void Remove(string space, Listeners listeners, ISpaceListener<TFrame> listener)
    {
        if (listeners.Remove(listener))
        {
            // Forget empty spaces so a server that saw many spaces does not keep them all.
            _spaces.TryRemove(new KeyValuePair<string, Listeners>(space, listeners));
        }
    }

    private sealed class Listeners
    {
        private readonly Lock _lock = new();

        public ISpaceListener<TFrame>[] Current { get; private set; } = [];

        private bool _retired;

        public bool TryAdd(ISpaceListener<TFrame> listener)
        {
            lock (_lock)
            {
                if (_retired)
                {
                    return false;
                }

                Current = [.. Current, listener];
                return true;
            }
        }

        /// <summary>Removes the listener; true when none remain.</summary>
        public bool Remove(ISpaceListener<TFrame> listener)
        {
            lock (_lock)
            {
                Current = Array.FindAll(Current, l => !ReferenceEquals(l, listener));
                _retired = Current.Length == 0;
                return _retired;
            }
        }
    }

    private sealed class Subscription(InProcessDoorbell<TFrame> owner, string space, Listeners listeners, ISpaceListener<TFrame> listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(space, listeners, listener);
            }
        }
    }
}
