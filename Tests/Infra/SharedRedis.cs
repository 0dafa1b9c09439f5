namespace NoteSync.Tests.Infra;

/// <summary>
/// The tests that share one <see cref="RedisServerFixture"/>. They run one after another, which the
/// tests that restart the server or read its command counters rely on.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedRedis : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis";
}
