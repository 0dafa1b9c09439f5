using NoteSync.Server.Stores;
using NoteSync.Server.Sync;
using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.Unit;

/// <summary>
/// The recent-changes window must never answer differently from the store: every answer it gives is
/// compared with a reference log at the window's cursor, under commits that arrive out of order,
/// reads that heal it, evictions, and lost commits.
/// </summary>
public sealed class SpaceWindowTests
{
    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 8)]
    [InlineData(3, 3)]
    [InlineData(4, 50)]
    [InlineData(5, 1)]
    [InlineData(6, 1000, 1_500)]
    [InlineData(7, 1000, 300)]
    public void AnswersAreAlwaysExactlyWhatTheStoreWouldSay(int seed, int capacity, long maxBytes = long.MaxValue)
    {
        var random = new Random(seed);
        var log = new ReferenceLog();
        var window = new SpaceWindow(capacity, maxBytes);
        var pending = new List<ApplyResult>();
        var answered = 0;

        for (var step = 0; step < 3000; step++)
        {
            switch (random.Next(10))
            {
                case < 4:
                    pending.Add(log.Commit(random));
                    break;
                case < 6 when pending.Count > 0:
                    // Deliver a pending commit, not always the oldest (continuations race).
                    var i = random.Next(Math.Min(pending.Count, 3));
                    window.OnApplied(pending[i]);
                    pending.RemoveAt(i);
                    break;
                case 6 when pending.Count > 0 && random.Next(20) == 0:
                    // A commit whose caller faulted before telling the window.
                    pending.RemoveAt(0);
                    break;
                case 7:
                    var from = random.NextInt64(0, log.Clock + 1);
                    window.OnRead(from, log.ReadSince(from, log.Clock));
                    break;
                default:
                    // Mostly near the head, where live pushes read; sometimes anywhere.
                    var after = random.Next(2) == 0 ? random.NextInt64(0, log.Clock + 2) : Math.Max(0, log.Clock - random.Next(0, 4));
                    var maxChanges = random.Next(1, 6);
                    if (window.TryRead(after, maxChanges, long.MaxValue, out var page))
                    {
                        answered++;
                        AssertSamePage(log.ReadSince(after, window.Head, maxChanges), page, after);
                    }

                    break;
            }
        }

        Assert.True(answered > 50, $"the window answered only {answered} reads: the test exercised nothing");
    }

    [Fact]
    public void WindowDeclinesWhileACommitBeforeItsHeadIsMissing()
    {
        // Arrange
        var log = new ReferenceLog();
        var window = new SpaceWindow(100);
        var first = log.Commit(new Random(1));
        var second = log.Commit(new Random(2));
        var third = log.Commit(new Random(3));
        window.OnApplied(first);

        // Act: the third commit is reported before the second.
        window.OnApplied(third);

        // Assert: no answer while the second is missing, an exact one once it arrives.
        Assert.False(window.TryRead(first.Cursor, 10, long.MaxValue, out _));
        window.OnApplied(second);
        Assert.True(window.TryRead(first.PreviousCursor, 10, long.MaxValue, out var page));
        Assert.Equal(third.Cursor, page.Cursor);
        AssertSamePage(log.ReadSince(first.PreviousCursor, third.Cursor), page, first.PreviousCursor);
    }

    [Fact]
    public void PastItsByteBoundTheWindowLetsTheOldestGoAndAnswersOnlyFromAfterThem()
    {
        // Arrange: room for about two entries of this size, none for a third.
        var entryBytes = Commit(0, 1, "note:a").Changed[0].EstimatedWireBytes;
        var window = new SpaceWindow(100, (2 * entryBytes) + (entryBytes / 2));

        // Act
        window.OnApplied(Commit(0, 1, "note:a"));
        window.OnApplied(Commit(1, 2, "note:b"));
        window.OnApplied(Commit(2, 3, "note:c"));

        // Assert: from before the evicted entry the store must answer; from its seq on, the window does.
        Assert.False(window.TryRead(0, 10, long.MaxValue, out _));
        Assert.True(window.TryRead(1, 10, long.MaxValue, out var page));
        Assert.Equal(["note:b", "note:c"], page.Entries.Select(e => e.Key));
        Assert.Equal(3, page.Cursor);
    }

    [Fact]
    public void TwoCommitsAfterOneCursorMakeTheWindowDeclineRatherThanHideOne()
    {
        // Arrange: a store whose history forked (a failover handed seq 11 out twice): two commits, each
        // after cursor 10, with different keys.
        var window = new SpaceWindow(100);
        window.OnApplied(Commit(9, 10, "note:start"));
        var first = Commit(10, 11, "note:a");
        var second = Commit(10, 11, "note:b");

        // Act
        window.OnApplied(first);
        window.OnApplied(second);

        // Assert: no answer from 10 that lacks either key.
        Assert.False(window.TryRead(10, 10, long.MaxValue, out var page) && !(page.Entries.Any(e => e.Key == "note:a") && page.Entries.Any(e => e.Key == "note:b")));
    }

    [Fact]
    public void TwoParkedCommitsAfterOneCursorMakeTheWindowDeclineRatherThanHideOne()
    {
        // Arrange: both forked commits arrive before the commit they follow.
        var window = new SpaceWindow(100);
        window.OnApplied(Commit(8, 9, "note:start"));
        var gap = Commit(9, 10, "note:gap");

        // Act
        window.OnApplied(Commit(10, 11, "note:a"));
        window.OnApplied(Commit(10, 11, "note:b"));
        window.OnApplied(gap);

        // Assert
        Assert.False(window.TryRead(9, 10, long.MaxValue, out var page) && !(page.Entries.Any(e => e.Key == "note:a") && page.Entries.Any(e => e.Key == "note:b")));
    }

    private static ApplyResult Commit(long previous, long cursor, string key) =>
        new(previous, cursor, [new StoredEntry(key, cursor, EntryState.Of(new Write(cursor, "dev", key)))], []);

    private static void AssertSamePage(ChangePage expected, ChangePage actual, long after)
    {
        if (!actual.More)
        {
            Assert.Equal(expected.Cursor, actual.Cursor);
        }

        Assert.True(actual.Entries.Count <= expected.Entries.Count || expected.More, $"after {after}: more entries than the store holds");
        var n = actual.Entries.Count;
        Assert.Equal(expected.Entries.Take(n).Select(Describe), actual.Entries.Select(Describe));
        if (!actual.More)
        {
            Assert.Equal(expected.Entries.Count, n);
        }
    }

    private static string Describe(StoredEntry e) => $"{e.Key}@{e.Seq}:{e.State.Timestamp}:{e.State.Winner.DeviceId}:{e.State.Winner.Value}";

    /// <summary>A store in miniature: the full history, so any past cursor can be read.</summary>
    private sealed class ReferenceLog
    {
        private readonly List<(long Cursor, Dictionary<string, StoredEntry> State)> _history = [(0, new(StringComparer.Ordinal))];

        public long Clock => _history[^1].Cursor;

        public ApplyResult Commit(Random random)
        {
            var (previous, current) = _history[^1];
            var next = new Dictionary<string, StoredEntry>(current, StringComparer.Ordinal);
            var clock = previous;
            var changed = new Dictionary<string, StoredEntry>(StringComparer.Ordinal);
            for (var w = random.Next(1, 4); w > 0; w--)
            {
                var key = $"note:{random.Next(12)}";
                // Mostly timestamps near the clock, sometimes far below it (a device back from offline).
                var timestamp = random.Next(4) == 0 ? random.NextInt64(1, 5) : clock + random.Next(0, 3);
                var write = new Write(Math.Max(1, timestamp), $"dev{random.Next(3)}", $"v{random.Next(5)}");
                var state = LwwMerge.Merge(next.GetValueOrDefault(key)?.State, write, out var outcome);
                if (outcome.Changed())
                {
                    clock = Math.Max(clock + 1, write.Timestamp);
                    next[key] = changed[key] = new StoredEntry(key, clock, state);
                }
            }

            _history.Add((clock, next));
            return new ApplyResult(previous, clock, [.. changed.Values.OrderBy(e => e.Seq)], []);
        }

        public ChangePage ReadSince(long after, long atCursor, int maxChanges = int.MaxValue)
        {
            var snapshot = _history.Last(h => h.Cursor <= atCursor);
            var entries = snapshot.State.Values.Where(e => e.Seq > after).OrderBy(e => e.Seq).ToList();
            var more = entries.Count > maxChanges;
            var page = entries.Take(maxChanges).ToList();
            return new ChangePage(page, more ? page[^1].Seq : snapshot.Cursor, more);
        }
    }
}
