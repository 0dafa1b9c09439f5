using NoteSync.Server.Stores;
using NoteSync.Shared.Crdt;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Stores;

/// <summary>Pushes at the same time: each lands whole, with its own seqs, and no reader sees part of one.</summary>
public abstract partial class SyncStoreContractTests
{
    [Fact]
    public async Task ConcurrentPushesAllLandWithUniqueSeqsAndMatchSequentialReplay()
    {
        // Arrange: 50 devices-worth of tasks, 20 pushes each, on few keys with clashing timestamps.
        const int Tasks = 50;
        const int PushesPerTask = 20;
        var pushes = Enumerable.Range(0, Tasks).Select(t =>
        {
            var random = new Random(t);
            return Enumerable.Range(0, PushesPerTask).Select(_ => Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => new KeyedWrite($"note:k{random.Next(20)}", new Write(random.Next(1, 300), $"dev-{t % 5}", random.Next(4) == 0 ? null : $"v{random.Next(3)}")))
                .ToArray()).ToArray();
        }).ToArray();

        // Act
        var results = await Task.WhenAll(pushes.Select(taskPushes => Task.Run(async () =>
        {
            var mine = new List<ApplyResult>();
            foreach (var push in taskPushes)
            {
                mine.Add(await Store.ApplyAsync(SpaceA, push).DefaultTimeout());
            }

            return mine;
        }))).DefaultTimeout();

        // Assert: the pushes that changed something form one unbroken chain of cursors...
        var changing = results.SelectMany(r => r).Where(r => r.Changed.Count > 0).OrderBy(r => r.Cursor).ToList();
        var expectedPrevious = 0L;
        foreach (var result in changing)
        {
            Assert.Equal(expectedPrevious, result.PreviousCursor);
            Assert.All(result.Changed, e => Assert.InRange(e.Seq, result.PreviousCursor + 1, result.Cursor));
            Assert.Equal(result.Cursor, result.Changed[^1].Seq);
            expectedPrevious = result.Cursor;
        }

        var seqs = changing.SelectMany(r => r.Changed).Select(e => e.Seq).ToList();
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        Assert.All(results.SelectMany(r => r).Where(r => r.Changed.Count == 0), r => Assert.Equal(r.PreviousCursor, r.Cursor));
        Assert.Equal(expectedPrevious, await Store.GetCursorAsync(SpaceA).DefaultTimeout());

        // ...and the final state is what any sequential replay of the same writes gives.
        var replay = new LwwMap();
        foreach (var write in pushes.SelectMany(t => t).SelectMany(p => p))
        {
            replay.Apply(write.Key, write.Write);
        }

        var stored = await ReadAllAsync(SpaceA);
        Assert.Equal(replay.Count, stored.Count);
        foreach (var (key, state) in replay.Entries)
        {
            StateAssert.Equal(state, stored[key].State);
        }
    }

    [Fact]
    public async Task ReadersSeeEachPushWholeOrNotAtAll()
    {
        // Arrange: pushes of ten writes each, recognisable by key prefix.
        const int Pushes = 40;
        const int WritesPerPush = 10;
        using var stop = new CancellationTokenSource();
        var torn = new List<string>();
        var reads = 0;
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var page = await Store.ReadSinceAsync(SpaceA, 0, Unlimited, long.MaxValue).DefaultTimeout();
                reads++;
                reading.TrySetResult();
                foreach (var group in page.Entries.GroupBy(e => e.Key.Split('/')[0]))
                {
                    if (group.Count() != WritesPerPush)
                    {
                        torn.Add($"{group.Key}: {group.Count()} of {WritesPerPush}");
                    }
                }
            }
        });

        // Act: the pushes start once the reader reads, so it cannot miss them all on a busy machine.
        await reading.Task.DefaultTimeout();
        await Task.WhenAll(Enumerable.Range(0, Pushes).Select(p => Store.ApplyAsync(
            SpaceA,
            [.. Enumerable.Range(0, WritesPerPush).Select(w => new KeyedWrite($"note:p{p}/{w}", new Write(1, "dev-a", "v")))]))).DefaultTimeout();
        await stop.CancelAsync();
        await reader.DefaultTimeout();

        // Assert
        Assert.Empty(torn);
        Assert.True(reads > 0);
        Assert.Equal(Pushes * WritesPerPush, (await ReadAllAsync(SpaceA)).Count);
    }
}
