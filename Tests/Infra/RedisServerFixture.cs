using StackExchange.Redis;

namespace NoteSync.Tests.Infra;

/// <summary>
/// One durable <see cref="RedisServer"/> and one connection to it, shared by the tests of a class or
/// collection. Tests use their own spaces, so nothing is flushed between them.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    /// <summary>A connection with admin commands allowed; it reconnects by itself after <see cref="RedisServer.RestartAsync"/>.</summary>
    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Connection = await Server.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
