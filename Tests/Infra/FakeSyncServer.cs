using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A small in-memory <c>POST /sync</c> server on 127.0.0.1 that follows docs/protocol.md's cursor, paging,
/// epochs and resets, for client tests that need to script what a server does (lose its history, fail in
/// the middle of a reset) without a server process. Not the real server: it keeps no lost-write winners
/// and leaves no entry out of an answer, which a client must tolerate anyway.
/// </summary>
internal sealed class FakeSyncServer : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly WebApplication _app;
    private Dictionary<string, (EntryState State, long Seq)> _entries = new(StringComparer.Ordinal);
    private long _clock;
    private string _epoch = Guid.NewGuid().ToString("N");

    private FakeSyncServer(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The most changes per answer.</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>When it returns true for a push, the server answers 503 without applying it.</summary>
    public Func<SyncPush, bool>? Refuse { get; set; }

    /// <summary>Every push received with its device, in order (a snapshot).</summary>
    public List<(string Device, SyncPush Push)> Pushes
    {
        get
        {
            lock (_gate)
            {
                return [.. _pushes];
            }
        }
    }

    private readonly List<(string Device, SyncPush Push)> _pushes = [];

    /// <summary>The space's clock C.</summary>
    public long Cursor
    {
        get
        {
            lock (_gate)
            {
                return _clock;
            }
        }
    }

    public string Epoch
    {
        get
        {
            lock (_gate)
            {
                return _epoch;
            }
        }
    }

    public static async Task<FakeSyncServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeSyncServer(app);
        app.MapPost("/sync", async (HttpContext context) =>
        {
            var push = await context.Request.ReadFromJsonAsync(NoteSyncJsonContext.Default.SyncPush);
            if (push is null || server.Refuse?.Invoke(push) == true)
            {
                context.Response.StatusCode = (int)HttpStatusCode.ServiceUnavailable;
                return;
            }

            var device = context.Request.Query["device_id"].ToString();
            await context.Response.WriteAsJsonAsync(server.Answer(push, device), NoteSyncJsonContext.Default.SyncAck);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address + "/");
        return server;
    }

    /// <summary>The state of every key, as a fresh device would hold it.</summary>
    public Dictionary<string, EntryState> State()
    {
        lock (_gate)
        {
            return _entries.ToDictionary(e => e.Key, e => e.Value.State, StringComparer.Ordinal);
        }
    }

    /// <summary>A copy of the whole history (a backup).</summary>
    public object Backup()
    {
        lock (_gate)
        {
            return (new Dictionary<string, (EntryState, long)>(_entries, StringComparer.Ordinal), _clock);
        }
    }

    /// <summary>Puts <paramref name="backup"/> back under a new epoch, as the restore procedure does.</summary>
    public void Restore(object backup)
    {
        var (entries, clock) = ((Dictionary<string, (EntryState, long)>, long))backup;
        lock (_gate)
        {
            _entries = new Dictionary<string, (EntryState, long)>(entries, StringComparer.Ordinal);
            _clock = clock;
            _epoch = Guid.NewGuid().ToString("N");
        }
    }

    private SyncAck Answer(SyncPush push, string device)
    {
        lock (_gate)
        {
            _pushes.Add((device, push));
            var reset = (push.Epoch is not null && push.Epoch != _epoch) || (push.LastAck ?? 0) > _clock;
            foreach (var change in push.Changes)
            {
                _entries.TryGetValue(change.Key, out var current);
                var next = LwwMerge.Merge(current.State, new Write(change.Timestamp, device, change.Value), out var outcome);
                if (outcome.Changed())
                {
                    _clock = Math.Max(_clock + 1, change.Timestamp);
                    _entries[change.Key] = (next, _clock);
                }
            }

            var from = reset ? 0 : push.LastAck ?? 0;
            var pending = _entries.Where(e => e.Value.Seq > from).OrderBy(e => e.Value.Seq).ToList();
            var page = pending.Take(PageSize).ToList();
            var more = pending.Count > page.Count;
            return new SyncAck
            {
                AckTimestamp = more ? page[^1].Value.Seq : _clock,
                Changes = [.. page.Select(e => e.Value.State.ToChange(e.Key))],
                RequestId = push.RequestId,
                More = more,
                Epoch = _epoch,
                Reset = reset,
            };
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
