namespace NoteSync.Tests.Infra;

/// <summary>
/// One <see cref="RedisCluster"/> shared by the tests of a class: a cluster takes seconds to form, and
/// tests use spaces of their own, so nothing is flushed between them.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    public RedisCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RedisCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
