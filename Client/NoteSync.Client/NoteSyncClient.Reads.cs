using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

// The read side of the public API: what the replica holds now, and what changes from now on.
public sealed partial class NoteSyncClient
{
    /// <summary>The note's content (the winner's), or null when it does not exist or is deleted.</summary>
    public string? Get(string path)
    {
        var key = ReadKeyOf(path);
        lock (_gate)
        {
            return _replica.Get(key)?.Winner.Value;
        }
    }

    /// <summary>The note's winning write (content, timestamp, device; a null content is a delete), or null when the replica has never seen it.</summary>
    public NoteVersion? GetVersion(string path)
    {
        var key = ReadKeyOf(path);
        lock (_gate)
        {
            return _replica.Get(key) is { } state ? ToVersion(state.Winner) : null;
        }
    }

    /// <summary>
    /// The note's heads (docs/protocol.md §2): the winning write first, then every other version nobody has replaced
    /// yet (conflict siblings, and versions holding the winner's value); empty when the replica has never seen the
    /// note. One consistent read: the text and the versions it is made of. A caller editing the text outside this
    /// library keeps their ids and hands them to <see cref="PutAsync(string, string, IReadOnlyList{NoteVersionId}, CancellationToken)"/>.
    /// </summary>
    public IReadOnlyList<NoteVersion> GetHeads(string path)
    {
        var key = ReadKeyOf(path);
        lock (_gate)
        {
            return _replica.Get(key) is { } state ? [.. state.Writes.ToArray().Select(ToVersion)] : [];
        }
    }

    /// <summary>The paths of existing (not deleted) notes starting with <paramref name="prefix"/>, sorted ordinally.</summary>
    public IReadOnlyList<string> List(string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var keyPrefix = ProtocolLimits.KeyPrefix + prefix;
        lock (_gate)
        {
            return [.. _replica.Entries
                .Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal) && e.Value.Winner.Value is not null)
                .Select(e => e.Key[ProtocolLimits.KeyPrefix.Length..])
                .Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Every note in conflict, by path.</summary>
    public IReadOnlyList<NoteConflict> GetConflicts()
    {
        lock (_gate)
        {
            return [.. _replica.Entries
                .Where(e => e.Value.IsConflict)
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => new NoteConflict(
                    e.Key[ProtocolLimits.KeyPrefix.Length..],
                    ToVersion(e.Value.Winner),
                    [.. e.Value.Siblings.Select(ToVersion)]))];
        }
    }

    /// <summary>The remote changes from now on, until <paramref name="cancellationToken"/> or disposal.</summary>
    public async IAsyncEnumerable<RemoteChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<RemoteChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watchers.Add(channel);
        }

        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }
}
