using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Fanout;
using NoteSync.Server.Limits;
using NoteSync.Server.Observability;
using NoteSync.Server.Options;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Server.Sync;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Functional;

/// <summary>
/// The reset rule of docs/protocol.md ("Epochs and resets") converges: random writes and syncs by
/// several devices, backups taken and put back (by the book, so the history is renamed), devices that
/// sync through a restore or sit it out, and at the end every device and the server hold the same
/// notes, and no write any device made is lost: it is in its key's final state, or beaten by a later
/// timestamp. The server is the real sync service on the real SQLite store, in process, restarted
/// as a process would be; the devices follow the documented client rule.
/// </summary>
public sealed class ResetConvergenceProperties
{
    private const string Space = "default";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task RandomWritesRestoresAndResetsConverge(int seed)
    {
        var random = new Random(seed);
        using var dataDir = new TempDirectory();
        using var backups = new TempDirectory();
        var server = Server.Open(dataDir.Path);
        var devices = Enumerable.Range(0, 3).Select(i => new ModelDevice($"dev{i}")).ToList();
        var made = new List<(string Key, Write Write)>();
        string? backup = null;
        var restores = 0;
        try
        {
            for (var step = 0; step < 300; step++)
            {
                var device = devices[random.Next(devices.Count)];
                switch (random.Next(20))
                {
                    case < 10:
                        made.Add(device.Edit($"note:{random.Next(20)}", random.Next(8) == 0 ? null : $"{device.Id}-{step}"));
                        break;
                    case < 17:
                        await device.SyncAsync(server.Service);
                        break;
                    case < 19:
                        await server.DisposeAsync();
                        backup = Path.Combine(backups.Path, $"b{step}");
                        Snapshot(dataDir.Path, backup);
                        server = Server.Open(dataDir.Path);
                        break;
                    default:
                        if (backup is not null)
                        {
                            // The restore: the backup's database put back, marked as a backup (what the backup command does).
                            await server.DisposeAsync();
                            Restore(backup, dataDir.Path);
                            server = Server.Open(dataDir.Path);
                            restores++;
                        }

                        break;
                }
            }

            // Everyone syncs until nothing moves: twice round is enough once re-uploads are in.
            for (var round = 0; round < 4; round++)
            {
                foreach (var device in devices)
                {
                    await device.SyncAsync(server.Service);
                }
            }

            Assert.True(restores > 0 && devices.Sum(d => d.Resets) > 0, $"seed {seed}: {restores} restores, {devices.Sum(d => d.Resets)} resets: the run tested nothing");
            var final = await ReadAllAsync(server.Service);
            foreach (var device in devices)
            {
                Assert.Equal(Describe(final), Describe(device.Replica.Entries));
            }

            foreach (var (key, write) in made)
            {
                var state = final.GetValueOrDefault(key);
                Assert.True(
                    state is not null && (state.Timestamp > write.Timestamp || (state.Timestamp == write.Timestamp && state.Writes.ToArray().Any(w => w.Value == write.Value))),
                    $"seed {seed}: {key} = {write} was lost ({restores} restores); final: {(state is null ? "absent" : Describe(state))}");
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static void Snapshot(string dataDir, string backup)
    {
        Directory.CreateDirectory(backup);
        foreach (var file in Directory.GetFiles(dataDir, "notesync.db*"))
        {
            File.Copy(file, Path.Combine(backup, Path.GetFileName(file)));
        }
    }

    private static void Restore(string backup, string dataDir)
    {
        foreach (var file in Directory.GetFiles(dataDir, "notesync.db*"))
        {
            File.Delete(file);
        }

        foreach (var file in Directory.GetFiles(backup))
        {
            File.Copy(file, Path.Combine(dataDir, Path.GetFileName(file)));
        }

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDir, "notesync.db")};Pooling=False");
        connection.Open();
        SqliteEpoch.MarkForRenewal(connection);
    }

    private static async Task<Dictionary<string, EntryState>> ReadAllAsync(SyncService service)
    {
        var map = new LwwMap();
        long cursor = 0;
        while (true)
        {
            var result = await service.PushAsync(Space, "reader", new SyncPush { LastAck = cursor });
            var ack = result.Ack!;
            foreach (var change in ack.Changes)
            {
                map.Apply(change.Key, EntryState.FromChange(change));
            }

            cursor = ack.AckTimestamp;
            if (!ack.More)
            {
                return new Dictionary<string, EntryState>(map.Entries, StringComparer.Ordinal);
            }
        }
    }

    private static string Describe(IReadOnlyDictionary<string, EntryState> entries) =>
        string.Join("\n", entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {Describe(e.Value)}"));

    // By timestamp and values: a re-uploaded write carries the uploader's device id, so who wrote a
    // value may differ between replicas that hold the same notes.
    private static string Describe(EntryState state) =>
        $"{state.Timestamp} [{string.Join(", ", state.Writes.ToArray().Select(w => w.Value ?? "<deleted>").Distinct().Order(StringComparer.Ordinal))}]";

    /// <summary>The server as a process holds it: the store and the sync service over it, made anew at every start.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly SqliteSyncStore _store;

        private Server(SqliteSyncStore store, SyncService service)
        {
            _store = store;
            Service = service;
        }

        public SyncService Service { get; }

        public static Server Open(string dataDir)
        {
            var options = Microsoft.Extensions.Options.Options.Create(new NoteSyncOptions { Sync = new SyncOptions { MaxChangesPerAck = 3 } });
            var store = new SqliteSyncStore(dataDir, NullLogger.Instance);
            var service = new SyncService(store, new RecentChanges(options), new InProcessDoorbell<LiveFrame>(), options, new NoteSyncMetrics(new TestMeterFactory()), new PullBudget(options), NullLogger<SyncService>.Instance);
            return new Server(store, service);
        }

        public ValueTask DisposeAsync() => _store.DisposeAsync();
    }

    /// <summary>A device that follows docs/protocol.md: cursor and epoch, outbox, and the reset rule.</summary>
    private sealed class ModelDevice(string id)
    {
        private readonly List<Change> _outbox = [];
        private readonly LamportClock _clock = new();
        private long _cursor;
        private string? _epoch;

        public string Id { get; } = id;

        public LwwMap Replica { get; } = new();

        public int Resets { get; private set; }

        public (string Key, Write Write) Edit(string key, string? value)
        {
            var write = new Write(_clock.Tick(), Id, value);
            Replica.Apply(key, write);
            _outbox.Add(new Change { Key = key, Value = value, Timestamp = write.Timestamp });
            return (key, write);
        }

        public async Task SyncAsync(SyncService service)
        {
            var push = new SyncPush { Changes = [.. _outbox], LastAck = _cursor, Epoch = _epoch };
            var sent = push.Changes.Count;
            var ack = (await service.PushAsync(Space, Id, push)).Ack ?? throw new InvalidOperationException("push refused");
            _outbox.RemoveRange(0, sent);
            Dictionary<string, EntryState>? serverSent = ack.Reset ? new(StringComparer.Ordinal) : null;
            while (true)
            {
                Apply(ack, serverSent);
                if (!ack.More)
                {
                    break;
                }

                ack = (await service.PushAsync(Space, Id, new SyncPush { LastAck = _cursor, Epoch = _epoch })).Ack!;
            }

            if (serverSent is not null)
            {
                Resets++;
                ReUpload(serverSent);
                await SyncAsync(service);
            }
        }

        private void Apply(SyncAck ack, Dictionary<string, EntryState>? serverSent)
        {
            _cursor = ack.Reset ? ack.AckTimestamp : Math.Max(_cursor, ack.AckTimestamp);
            _epoch = ack.Epoch ?? _epoch;
            _clock.Observe(ack.AckTimestamp);
            foreach (var change in ack.Changes)
            {
                var state = EntryState.FromChange(change);
                _clock.Observe(state.Timestamp);
                Replica.Apply(change.Key, state);
                if (serverSent is not null)
                {
                    serverSent[change.Key] = LwwMerge.Join(serverSent.GetValueOrDefault(change.Key), state, out _);
                }
            }
        }

        // What the server lacks or holds older goes up again, with its own timestamps, in timestamp order.
        private void ReUpload(Dictionary<string, EntryState> serverSent)
        {
            var again = new List<Change>();
            foreach (var (key, mine) in Replica.Entries)
            {
                var theirs = serverSent.GetValueOrDefault(key);
                foreach (var write in mine.Writes)
                {
                    var held = theirs is not null && (theirs.Timestamp > write.Timestamp
                        || (theirs.Timestamp == write.Timestamp && theirs.Writes.ToArray().Any(w => w.Value == write.Value)));
                    if (!held)
                    {
                        again.Add(new Change { Key = key, Value = write.Value, Timestamp = write.Timestamp });
                    }
                }
            }

            _outbox.AddRange(again.OrderBy(c => c.Timestamp));
        }
    }
}
