using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A WebSocket done by hand on a <see cref="TcpClient"/>: the upgrade, then frames exactly as given
/// (masked, any opcode, any payload, even broken ones). Pings are never answered unless asked.
/// </summary>
internal sealed class RawWebSocket : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawWebSocket(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public NetworkStream Stream => _stream;

    /// <summary>Connects and upgrades <paramref name="pathAndQuery"/>; throws unless the server answers 101.</summary>
    public static async Task<RawWebSocket> ConnectAsync(ITestServer server, string pathAndQuery)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port).WaitAsync(TestDevice.DefaultTimeout);
        var socket = new RawWebSocket(tcp);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await socket._stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket._stream.ReadAsync(one).AsTask().WaitAsync(TestDevice.DefaultTimeout) == 0)
            {
                throw new IOException($"closed during the upgrade: {head}");
            }

            head.Append((char)one[0]);
        }

        if (!head.ToString().StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            socket.Dispose();
            throw new IOException($"upgrade refused: {head}");
        }

        return socket;
    }

    /// <summary>Sends one frame: <paramref name="opcode"/> (1 text, 2 binary, 0 continuation, 8 close, 9 ping), masked as a client must.</summary>
    public Task SendFrameAsync(int opcode, ReadOnlySpan<byte> payload, bool fin = true) => SendRawAsync(Frame(opcode, payload, fin, mask: true));

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes).AsTask().WaitAsync(TestDevice.DefaultTimeout);

    /// <summary>A frame's bytes.</summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, bool mask = true)
    {
        using var frame = new MemoryStream();
        frame.WriteByte((byte)((fin ? 0x80 : 0) | (opcode & 0x0F)));
        var maskBit = mask ? 0x80 : 0;
        if (payload.Length < 126)
        {
            frame.WriteByte((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame.WriteByte((byte)(maskBit | 126));
            frame.WriteByte((byte)(payload.Length >> 8));
            frame.WriteByte((byte)payload.Length);
        }
        else
        {
            frame.WriteByte((byte)(maskBit | 127));
            for (var shift = 56; shift >= 0; shift -= 8)
            {
                frame.WriteByte((byte)((long)payload.Length >> shift));
            }
        }

        var key = mask ? RandomNumberGenerator.GetBytes(4) : [];
        frame.Write(key);
        var body = payload.ToArray();
        if (mask)
        {
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= key[i % 4];
            }
        }

        frame.Write(body);
        return frame.ToArray();
    }

    /// <summary>
    /// Reads (and drops) whatever the server sends until it closes the TCP connection, answering its
    /// close frame as a client does; returns that frame's close status if one came, or null.
    /// </summary>
    public async Task<int?> ReadUntilClosedAsync(TimeSpan bound)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var cut = new CancellationTokenSource(bound);
        var answered = false;
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(buffer, cut.Token);
                if (n == 0)
                {
                    break;
                }

                received.Write(buffer, 0, n);
                if (!answered && FindClose(received.GetBuffer().AsSpan(0, (int)received.Length), out var status))
                {
                    // Answering the server's close lets it end the TCP connection at once; unanswered, it
                    // would wait out its close timeout (5 s) first. Either way its decision was the close frame.
                    answered = true;
                    await AnswerCloseAsync(status);
                }
            }
        }
        catch (IOException)
        {
            // Reset by the server: closed too.
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the server did not close the connection within {bound}");
        }

        return FindClose(received.GetBuffer().AsSpan(0, (int)received.Length), out var closeStatus) ? closeStatus : null;
    }

    private async Task AnswerCloseAsync(int? status)
    {
        byte[] payload = status is { } code ? [(byte)(code >> 8), (byte)code] : [];
        try
        {
            await SendFrameAsync(8, payload);
        }
        catch (IOException)
        {
            // The server did not wait for the answer.
        }
    }

    /// <summary>Walks the server's (unmasked) frames: true once a whole close frame is among them, with its status.</summary>
    private static bool FindClose(ReadOnlySpan<byte> bytes, out int? status)
    {
        status = null;
        long at = 0;
        while (at + 2 <= bytes.Length)
        {
            var opcode = bytes[(int)at] & 0x0F;
            long length = bytes[(int)at + 1] & 0x7F;
            at += 2;
            var extra = length == 126 ? 2 : length == 127 ? 8 : 0;
            if (at + extra > bytes.Length)
            {
                return false;
            }

            if (extra > 0)
            {
                length = 0;
                for (var i = 0; i < extra; i++)
                {
                    length = (length << 8) | bytes[(int)at + i];
                }

                at += extra;
            }

            if (at + length > bytes.Length)
            {
                return false;
            }

            if (opcode == 8)
            {
                status = length >= 2 ? (bytes[(int)at] << 8) | bytes[(int)at + 1] : null;
                return true;
            }

            at += length;
        }

        return false;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
