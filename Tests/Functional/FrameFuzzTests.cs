using System.Globalization;
using System.Net;
using System.Text;
using NoteSync.Tests.Infra;
using Xunit.Abstractions;

namespace NoteSync.Tests.Functional;

/// <summary>
/// A few thousand random and mutated WebSocket frames and JSON documents, sent by hand
/// on raw TCP connections to a live server, mixed with valid pushes from one honest device. Afterwards
/// the server is healthy (no error logged), answers a valid push, and the honest device's keys hold
/// exactly what its valid pushes gave. <c>NOTESYNC_FUZZ_SEED</c> picks the seed (fixed by default, so a
/// CI run is repeatable; the seed is printed and in every failure message), <c>NOTESYNC_FUZZ_FRAMES</c>
/// the number of hostile sends (30,000 by default, several seconds). On both stores (<see cref="TestStores"/>).
/// </summary>
public sealed class FrameFuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20261125;
    private const string TruthPrefix = "note:t/";
    private const string JsonPunctuation = "{}[]\",:\\0-eE.n";

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("NOTESYNC_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;

    private static int Count => int.TryParse(Environment.GetEnvironmentVariable("NOTESYNC_FUZZ_FRAMES"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 30_000;

    [Theory]
    [MemberData(nameof(TestStores.Both), MemberType = typeof(TestStores))]
    public async Task RandomAndMutatedFramesLeaveTheServerHealthyAndTheStateExact(string store)
    {
        // Arrange
        var seed = Seed;
        var count = Count;
        output.WriteLine($"fuzz seed {seed} (NOTESYNC_FUZZ_SEED), {count} hostile sends (NOTESYNC_FUZZ_FRAMES)");
        var random = new Random(seed);
        await using var server = await InProcessServer.StartOnStoreAsync(store, new Dictionary<string, string>
        {
            ["NoteSync__Limits__MaxMessageBytes"] = "65536",
            ["NoteSync__Limits__UpgradesPerMinutePerAddress"] = "1000000",
        });
        await using var truth = await WsDevice.ConnectAsync(server, "truth");
        var context = $"{store}, seed {seed}";
        var fuzz = new FuzzConnection(server);
        var stats = new Dictionary<string, int>(StringComparer.Ordinal);

        try
        {
            // Act
            for (var i = 0; i < count; i++)
            {
                if (i % 25 == 0)
                {
                    var key = $"{TruthPrefix}{random.Next(40)}";
                    await truth.PutAsync(key, random.Next(4) == 0 ? null : $"value {i} {Words(random)}");
                }

                var (kind, bytes) = NextHostileSend(random, i);
                stats[kind] = stats.GetValueOrDefault(kind) + 1;
                await fuzz.SendAsync(bytes, kind == "raw-tcp");
            }
        }
        finally
        {
            output.WriteLine(string.Join(", ", stats.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}")));
            output.WriteLine($"{fuzz.Connections} fuzz connections opened");
            fuzz.Dispose();
        }

        // Assert: healthy, a valid push answered, and the honest keys exactly as the valid pushes left them.
        await truth.PutAsync($"{TruthPrefix}final", "after the fuzz");
        await using var checker = await WsDevice.ConnectAsync(server, "checker");
        await checker.PullAsync();
        var expected = truth.Snapshot().Where(kv => kv.Key.StartsWith(TruthPrefix, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var actual = checker.Snapshot().Where(kv => kv.Key.StartsWith(TruthPrefix, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"{context}: the space holds {actual.Count} honest notes, {expected.Count} expected");
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
        Assert.False(server.Output.Contains("fail:", StringComparison.Ordinal), $"{context}: {server.Output}");
        Assert.False(server.Output.Contains("crit:", StringComparison.Ordinal), $"{context}: {server.Output}");
    }

    // One hostile send: its kind (for the statistics) and its bytes on the wire.
    private static (string Kind, byte[] Bytes) NextHostileSend(Random random, int i)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 35 => ("mutated-json", RawWebSocket.Frame(1, Mutate(random, ValidPushJson(random, i)))),
            < 50 => ("random-json", RawWebSocket.Frame(1, Encoding.UTF8.GetBytes(RandomJson(random, random.Next(1, 24))))),
            < 58 => ("random-text-bytes", RawWebSocket.Frame(1, RandomBytes(random, random.Next(0, 300)))),
            < 63 => ("random-binary", RawWebSocket.Frame(2, RandomBytes(random, random.Next(0, 300)))),
            < 73 => ("fragmented", Fragmented(random, ValidPushJson(random, i))),
            < 81 => ("bad-header", BadHeader(random)),
            < 86 => ("control", Control(random)),
            < 90 => ("huge-length", HugeLength(random)),
            < 95 => ("unmasked", RawWebSocket.Frame(1, Encoding.UTF8.GetBytes(ValidPushJson(random, i)), mask: false)),
            _ => ("raw-tcp", RandomBytes(random, random.Next(1, 200))),
        };
    }

    // A well-formed push of the fuzzer's own keys (never the honest device's).
    private static string ValidPushJson(Random random, int i)
    {
        var changes = string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(c =>
            $"{{\"key\":\"note:fuzz/{random.Next(20)}\",\"value\":\"{Words(random)}\",\"timestamp\":{random.Next(1, 1000)}}}"));
        return $"{{\"type\":\"sync_push\",\"changes\":[{changes}],\"last_ack\":{random.Next(0, 50)},\"request_id\":\"f{i}\"}}";
    }

    private static byte[] Mutate(Random random, string json)
    {
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(json));
        var mutations = random.Next(1, 6);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, (byte)JsonPunctuation[random.Next(JsonPunctuation.Length)]); break;
                case 3: bytes.RemoveRange(at, bytes.Count - at); break;
                case 4:
                    var length = Math.Min(random.Next(1, 40), bytes.Count - at);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                case 5: bytes.InsertRange(at, Encoding.UTF8.GetBytes(random.Next(3) switch { 0 => "\"type\":\"sync_push\",", 1 => "\"changes\":[],", _ => "\"key\":\"note:fuzz/x\"," })); break;
                default: bytes[at] ^= (byte)(1 << random.Next(8)); break;
            }
        }

        return [.. bytes];
    }

    private static string RandomJson(Random random, int depth)
    {
        if (depth <= 0)
        {
            return Scalar(random);
        }

        switch (random.Next(4))
        {
            case 0:
                return "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomJson(random, depth - 1))) + "]";
            case 1:
                string[] names = ["type", "changes", "key", "value", "timestamp", "device_id", "last_ack", "request_id", "x", ""];
                return "{" + string.Join(",", Enumerable.Range(0, random.Next(0, 5)).Select(_ => $"\"{names[random.Next(names.Length)]}\":{RandomJson(random, depth - 1)}")) + "}";
            default:
                return Scalar(random);
        }
    }

    private static string Scalar(Random random) => random.Next(9) switch
    {
        0 => "null",
        1 => "true",
        2 => "\"sync_push\"",
        3 => "\"note:fuzz/" + random.Next(20) + "\"",
        4 => random.NextInt64(-10, long.MaxValue).ToString(CultureInfo.InvariantCulture),
        5 => "1e308",
        6 => "\"\\ud800\"",
        7 => "-0.5",
        _ => "\"" + Words(random) + "\"",
    };

    private static byte[] Fragmented(Random random, string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        using var wire = new MemoryStream();
        var at = 0;
        var first = true;
        while (at < payload.Length)
        {
            var length = Math.Min(random.Next(1, 40), payload.Length - at);
            var last = at + length >= payload.Length;

            // Now and then a protocol slip: a new text frame mid-message, or a ping in between (allowed).
            var opcode = first ? 1 : 0;
            if (!first && random.Next(12) == 0)
            {
                opcode = 1;
            }

            if (random.Next(10) == 0)
            {
                wire.Write(RawWebSocket.Frame(9, RandomBytes(random, random.Next(0, 20))));
            }

            wire.Write(RawWebSocket.Frame(opcode, payload.AsSpan(at, length), fin: last && random.Next(15) != 0));
            at += length;
            first = false;
        }

        return wire.ToArray();
    }

    private static byte[] BadHeader(Random random)
    {
        var frame = RawWebSocket.Frame(random.Next(16), RandomBytes(random, random.Next(0, 60)), fin: random.Next(2) == 0);
        frame[0] |= (byte)(random.Next(8) << 4); // RSV bits
        return frame;
    }

    private static byte[] Control(Random random) => random.Next(3) switch
    {
        0 => RawWebSocket.Frame(9, RandomBytes(random, random.Next(0, 200))), // ping, maybe over 125 bytes
        1 => RawWebSocket.Frame(10, RandomBytes(random, random.Next(0, 20))), // unsolicited pong
        _ => RawWebSocket.Frame(8, RandomBytes(random, random.Next(0, 30))), // close with a random code and reason
    };

    private static byte[] HugeLength(Random random)
    {
        // A text frame header claiming up to 2^63-1 bytes, then a little of it.
        var header = new byte[] { 0x81, 0x80 | 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4 };
        header[2] = (byte)random.Next(0x80);
        return [.. header, .. RandomBytes(random, random.Next(0, 100))];
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Words(Random random) => string.Join(" ", Enumerable.Range(0, random.Next(1, 4)).Select(_ => ((char)('a' + random.Next(26))).ToString() + random.Next(1000)));

    /// <summary>The current hostile connection: reconnects when the server has closed it, drains what the server sends.</summary>
    private sealed class FuzzConnection(InProcessServer server) : IDisposable
    {
        private RawWebSocket? _socket;
        private Task? _drain;

        public int Connections { get; private set; }

        public async Task SendAsync(byte[] bytes, bool closeAfter)
        {
            if (_socket is null || _drain!.IsCompleted)
            {
                _socket?.Dispose();
                _socket = await RawWebSocket.ConnectAsync(server, $"/ws/sync?device_id=fuzz-{Connections++}");
                var socket = _socket;
                _drain = Task.Run(async () =>
                {
                    try
                    {
                        await socket.ReadUntilClosedAsync(TimeSpan.FromMinutes(10));
                    }
                    catch (Exception ex) when (ex is ObjectDisposedException or IOException or TimeoutException or OperationCanceledException)
                    {
                        // Dropped by this side.
                    }
                });
            }

            try
            {
                await _socket.SendRawAsync(bytes);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or TimeoutException)
            {
                // Closed by the server in the meantime: the next send reconnects.
                Drop();
                return;
            }

            if (closeAfter)
            {
                Drop();
            }
        }

        private void Drop()
        {
            _socket?.Dispose();
            _socket = null;
        }

        public void Dispose() => Drop();
    }
}
