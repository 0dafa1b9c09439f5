using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// The server's own disk fills, for real: its data directory is a tiny tmpfs in a private mount
/// namespace (<see cref="TinyDisk"/>), filled by the server's own commits. A full disk must stop
/// nothing for good: pushes get an error and never an ack, reads go on, <c>/healthz</c> says why, the
/// log says it once, the server recovers by itself when space returns, and nothing acknowledged is lost.
/// </summary>
public sealed class ServerDiskFullTests
{
    // The disk: 16 MB, of which the filler takes 4 MB until the test gives them back. The database
    // and its WAL fit at first; about 12 MB of notes fill the rest.
    private const string DiskSize = "16m";
    private const int FillerBytes = 4 * 1024 * 1024;

    // Two changes per push, so a refused push that were half applied would show.
    private const int ValueChars = 100_000;
    private const int HugeValueChars = 1_000_000;
    private const int MostPushesToFill = 200;
    private const string StorageFull = "the server's storage is full; retry later";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AFullDiskRefusesPushesReportsItAndRecoversByItselfWithEveryAckedWriteKept()
    {
        // Arrange
        using var disk = await TinyDisk.MountAsync(DiskSize);
        disk.WriteFiller(FillerBytes);
        await using var server = await ServerProcess.StartAsync(dataDir: Path.Combine(disk.MountPoint, "data"), wrapper: disk.Wrapper);
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = Bound };
        var notes = new LargeNotes();

        // Act: large notes until the disk refuses one.
        var firstRefusal = await notes.PushUntilRefusedAsync(writer, server);

        // Assert: refused as "retry later", and said so on /healthz.
        Assert.Equal((ErrorCodes.Unavailable, StorageFull), (firstRefusal.Code, firstRefusal.Message));
        var health = await WaitForHealthAsync(http, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("unhealthy", health.GetProperty("status").GetString());
        Assert.Equal("disk_full", health.GetProperty("problem").GetString());
        Assert.Contains("disk is full", health.GetProperty("reason").GetString(), StringComparison.Ordinal);

        // Act: while the disk stays full, more pushes on two transports, and a whole-space read.
        var whileFull = new List<ErrorFrame?>();
        for (var i = 0; i < 3; i++)
        {
            whileFull.Add(await notes.PushAsync(writer));
        }

        // More than SQLite's page cache holds (2 MB), so it fails while writing the push, not at its commit.
        whileFull.Add(await notes.PushAsync(writer, count: 3, HugeValueChars));
        var (httpStatus, httpError) = await notes.PostAsync(http);
        await using var reader = HttpDevice.Create(server, "reader");
        await reader.PullAsync();

        // Assert: every push refused the same way, none acked; reads answered in full; one log line.
        Assert.All(whileFull, refusal => Assert.Equal((ErrorCodes.Unavailable, StorageFull), (refusal?.Code, refusal?.Message)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, httpStatus);
        Assert.Equal((ErrorCodes.Unavailable, StorageFull), (httpError?.Code, httpError?.Message));
        notes.AssertAckedHeldBy(reader, "read while the disk is full");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("healthz")).StatusCode);
        var failure = Assert.Single(LogLines(server, "fail:"));
        Assert.Contains("disk is full", failure, StringComparison.Ordinal);

        // Act: space returns; nobody pushes until /healthz says the server noticed by itself.
        disk.DeleteFiller();
        var healthy = await WaitForHealthAsync(http, HttpStatusCode.OK);
        var afterRecovery = new List<ErrorFrame?>();
        for (var i = 0; i < 3; i++)
        {
            afterRecovery.Add(await notes.PushAsync(writer));
        }

        // Assert: acked again, on the same connection, the cursor still rising; the episode's end logged once.
        Assert.Equal("healthy", healthy.GetProperty("status").GetString());
        Assert.All(afterRecovery, Assert.Null);
        // One snapshot: pages of an earlier answer may still be arriving.
        var acks = writer.AckTimestamps;
        Assert.Equal(acks.Order(), acks);
        Assert.Single(LogLines(server, "warn:"), line => line.Contains("disk has room again", StringComparison.Ordinal));
        Assert.Single(LogLines(server, "fail:"));

        // Act: a kill -9 and a start on the same files, then the whole space from last_ack 0.
        await server.RestartAsync();
        await using var afterRestart = HttpDevice.Create(server, "after-restart");
        await afterRestart.PullAsync();

        // Assert: every acked write is there; each refused push is all there or not at all.
        notes.AssertAckedHeldBy(afterRestart, "read after a restart");
        notes.AssertNoRefusedPushHalfApplied(afterRestart);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
    }

    [Fact]
    public async Task AServerRestartedOnAFullDiskStartsServesReadsAndRecoversByItself()
    {
        // Arrange: a full disk, then a kill -9 (a crash, or an operator's restart) with the disk still full.
        using var disk = await TinyDisk.MountAsync(DiskSize);
        disk.WriteFiller(FillerBytes);
        await using var server = await ServerProcess.StartAsync(dataDir: Path.Combine(disk.MountPoint, "data"), wrapper: disk.Wrapper);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = Bound };
        var notes = new LargeNotes();
        await using (var before = await WsDevice.ConnectAsync(server, "before"))
        {
            await notes.PushUntilRefusedAsync(before, server);
        }

        // Act: start again on the full disk (StartAsync waits for /healthz 200: the server has not yet
        // tried to write), read everything, and push until the disk refuses again.
        await server.RestartAsync();
        await using var reader = HttpDevice.Create(server, "reader");
        await reader.PullAsync();
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        var refusal = await notes.PushUntilRefusedAsync(writer, server);
        await WaitForHealthAsync(http, HttpStatusCode.ServiceUnavailable);

        // Assert: it started and served every acked note; the full disk is reported as before.
        notes.AssertAckedHeldBy(reader, "read after a restart on a full disk");
        Assert.Equal((ErrorCodes.Unavailable, StorageFull), (refusal.Code, refusal.Message));

        // Act: space returns.
        disk.DeleteFiller();
        await WaitForHealthAsync(http, HttpStatusCode.OK);
        var afterRecovery = await notes.PushAsync(writer);
        await using var last = HttpDevice.Create(server, "last");
        await last.PullAsync();

        // Assert
        Assert.Null(afterRecovery);
        notes.AssertAckedHeldBy(last, "read after recovery");
        notes.AssertNoRefusedPushHalfApplied(last);
    }

    private static List<string> LogLines(ServerProcess server, string level) =>
        [.. server.Output.Split('\n').Where(line => line.StartsWith(level, StringComparison.Ordinal))];

    /// <summary>Waits for <c>/healthz</c> to answer <paramref name="expected"/>; returns its JSON body.</summary>
    private static async Task<JsonElement> WaitForHealthAsync(HttpClient http, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            using var response = await http.GetAsync("healthz");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == expected)
            {
                using var json = JsonDocument.Parse(body);
                return json.RootElement.Clone();
            }

            Assert.True(DateTime.UtcNow < deadline, $"/healthz stayed {(int)response.StatusCode} ({body}), expected {(int)expected}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Pushes of large notes under unique keys, each recorded as acked (with its value) or refused (its
    /// keys), so the test can check every acked write later and that no refused push was half applied.
    /// </summary>
    private sealed class LargeNotes
    {
        private readonly Dictionary<string, string> _acked = new(StringComparer.Ordinal);
        private readonly List<string[]> _refused = [];
        private int _next;

        /// <summary>Pushes until one is refused; fails if the disk never fills.</summary>
        public async Task<ErrorFrame> PushUntilRefusedAsync(WsDevice device, ServerProcess server)
        {
            for (var i = 0; i < MostPushesToFill; i++)
            {
                if (await PushAsync(device) is { } refusal)
                {
                    return refusal;
                }
            }

            throw new InvalidOperationException($"the disk never filled after {MostPushesToFill} pushes:\n{server.Output}");
        }

        /// <summary>Pushes <paramref name="count"/> notes over the raw WebSocket; null when acked, the error otherwise.</summary>
        public async Task<ErrorFrame?> PushAsync(WsDevice device, int count = 2, int chars = ValueChars)
        {
            var keys = NextKeys(count);
            var frame = device.NewPush([.. keys.Select(k => new Change { Key = k, Value = ValueOf(k, chars), Timestamp = device.Clock.Tick() })]);
            var answer = await device.SendAndWaitAsync(JsonSerializer.Serialize(frame, NoteSyncJsonContext.Default.SyncPush), frame.RequestId!);
            if (answer is ErrorFrame error)
            {
                _refused.Add(keys);
                return error;
            }

            foreach (var key in keys)
            {
                _acked[key] = ValueOf(key, chars);
            }

            return null;
        }

        /// <summary>Pushes two notes over <c>POST /sync</c>, expecting a refusal: an ack fails the test here.</summary>
        public async Task<(HttpStatusCode Status, ErrorFrame? Error)> PostAsync(HttpClient http)
        {
            var keys = NextKeys(2);
            var frame = new SyncPush
            {
                Changes = [.. keys.Select((k, i) => new Change { Key = k, Value = ValueOf(k, ValueChars), Timestamp = i + 1 })],
                LastAck = 0,
                RequestId = "http-push",
            };
            _refused.Add(keys);
            using var response = await http.PostAsJsonAsync("sync?device_id=poller", frame, NoteSyncJsonContext.Default.SyncPush);
            Assert.False(response.IsSuccessStatusCode, "POST /sync acknowledged a push while the disk was full");
            return (response.StatusCode, await response.Content.ReadFromJsonAsync(NoteSyncJsonContext.Default.ErrorFrame));
        }

        public void AssertAckedHeldBy(TestDevice device, string when)
        {
            foreach (var (key, value) in _acked)
            {
                Assert.True(device.ValueOf(key) == value, $"{when}: {key} was acknowledged but {(device.ValueOf(key) is null ? "is missing" : "holds another value")}");
            }
        }

        /// <summary>A refused push may have been written after all (an error is not a promise), but never in part.</summary>
        public void AssertNoRefusedPushHalfApplied(TestDevice device)
        {
            foreach (var keys in _refused)
            {
                var held = keys.Count(k => device.ValueOf(k) is not null);
                Assert.True(held == 0 || held == keys.Length, $"a refused push was half applied: {held} of {string.Join(", ", keys)}");
            }
        }

        private string[] NextKeys(int count)
        {
            var push = _next++;
            return [.. Enumerable.Range(0, count).Select(n => $"note:big/{push}/{n}")];
        }

        private static string ValueOf(string key, int chars) => key + ":" + new string((char)('a' + (key.Length + key[^1]) % 26), chars);
    }
}
