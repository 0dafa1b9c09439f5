using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using NoteSync.Server.Options;
using NoteSync.Server.Stores;

namespace NoteSync.Server.Sync;

/// <summary>
/// The newest part of each space's log, in memory, so that a burst of writes fanned out to many
/// devices costs no store reads. It is only an accelerator: every answer it gives is exactly what
/// the store would give, and whenever it cannot be sure of that it declines and the caller reads the
/// store (see <see cref="SpaceWindow"/> for the invariant).
/// </summary>
internal sealed class RecentChanges(IOptions<NoteSyncOptions> options)
{
    private readonly int _capacity = options.Value.Sync.RecentChangesPerSpace;
    private readonly ConcurrentDictionary<string, SpaceWindow> _spaces = new(StringComparer.Ordinal);

    /// <summary>Records a commit of this node. Returns the window's new head.</summary>
    public long OnApplied(string space, ApplyResult applied) =>
        _capacity == 0 ? 0 : Window(space).OnApplied(applied);

    /// <summary>Records a complete store read of everything after <paramref name="after"/>.</summary>
    public void OnRead(string space, long after, ChangePage page)
    {
        if (_capacity > 0 && !page.More)
        {
            Window(space).OnRead(after, page);
        }
    }

    /// <summary>Answers "changes since <paramref name="after"/>" from memory when that answer is exact.</summary>
    public bool TryRead(string space, long after, int maxChanges, long maxBytes, out ChangePage page)
    {
        if (_capacity > 0 && _spaces.TryGetValue(space, out var window))
        {
            return window.TryRead(after, maxChanges, maxBytes, out page);
        }

        page = null!;
        return false;
    }

    private SpaceWindow Window(string space) => _spaces.GetOrAdd(space, static (_, capacity) => new SpaceWindow(capacity), _capacity);
}
