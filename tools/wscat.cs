// A WebSocket terminal for the README's tours, so they need nothing beyond the .NET SDK:
//   dotnet run tools/wscat.cs -- 'ws://localhost:5000/ws/sync?device_id=browser'
// Each line typed (or piped) is sent as one text message; each message received is printed on a line.
// Ends when standard input ends or the server closes the connection.
using System.Net.WebSockets;
using System.Text;

if (args.Length != 1 || !Uri.TryCreate(args[0], UriKind.Absolute, out var url) || url.Scheme is not ("ws" or "wss"))
{
    Console.Error.WriteLine("usage: dotnet run tools/wscat.cs -- 'ws://host:port/ws/sync?device_id=<id>[&access_token=<token>]'");
    return 2;
}

using var socket = new ClientWebSocket();
try
{
    await socket.ConnectAsync(url, CancellationToken.None);
}
catch (WebSocketException ex)
{
    Console.Error.WriteLine($"wscat: could not connect to {url}: {ex.Message}");
    return 1;
}

var printing = PrintMessagesAsync(socket);
while (Console.ReadLine() is { } line)
{
    if (line.Length == 0 || socket.State != WebSocketState.Open)
    {
        continue;
    }

    await socket.SendAsync(Encoding.UTF8.GetBytes(line), WebSocketMessageType.Text, true, CancellationToken.None);
}

if (socket.State == WebSocketState.Open)
{
    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
}

await printing;
return 0;

static async Task PrintMessagesAsync(ClientWebSocket socket)
{
    var buffer = new byte[64 * 1024];
    using var message = new MemoryStream();
    try
    {
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                Console.Error.WriteLine($"wscat: closed by the server ({(int?)received.CloseStatus} {received.CloseStatusDescription})");
                return;
            }

            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                Console.WriteLine(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length));
                message.SetLength(0);
            }
        }
    }
    catch (WebSocketException ex)
    {
        Console.Error.WriteLine($"wscat: the connection ended: {ex.Message}");
    }
}
