using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Stores.Redis;
using StackExchange.Redis;

namespace NoteSync.Tests.Unit;

/// <summary>
/// A command StackExchange.Redis refused because its slot's node is a replica now starts one refresh of
/// the cluster's view; nothing else does (the failing case itself: the Jepsen run on a cluster).
/// </summary>
public sealed class SlotMapRefreshTests
{
    [Fact]
    public async Task ARefusalForAReplicaStartsOneRefreshAndNothingElseDoes()
    {
        var redis = ConfigureCounter.Create();
        var refresh = new SlotMapRefresh(redis, NullLogger.Instance);
        var refused = new RedisConnectionException(ConnectionFailureType.InternalFailure, "InternalFailure on GET ns:{default}:clock",
            new RedisCommandException("Command cannot be issued to a replica: GET ns:{default}:clock"));

        // Other failures: no refresh.
        Assert.False(refresh.Observe(new RedisTimeoutException("Timeout awaiting response", CommandStatus.Sent)));
        Assert.False(refresh.Observe(new RedisServerException("NOSCRIPT No matching script")));
        Assert.Equal(0, ConfigureCounter.Calls(redis));

        // The refusal: one refresh, and the filter still catches nothing.
        Assert.False(refresh.Observe(refused));
        await ConfigureCounter.WaitForCallsAsync(redis, 1);

        // Again at once (every push of the space fails the same way): within the second, no second refresh.
        Assert.False(refresh.Observe(refused));
        Assert.False(refresh.Observe(refused));
        Assert.Equal(1, ConfigureCounter.Calls(redis));
    }

    /// <summary>An <see cref="IConnectionMultiplexer"/> that counts <c>ConfigureAsync</c> calls and does nothing else.</summary>
    public class ConfigureCounter : DispatchProxy
    {
        private int _calls;

        public static IConnectionMultiplexer Create() => Create<IConnectionMultiplexer, ConfigureCounter>();

        public static int Calls(IConnectionMultiplexer redis) => Volatile.Read(ref ((ConfigureCounter)(object)redis)._calls);

        public static async Task WaitForCallsAsync(IConnectionMultiplexer redis, int calls)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (Calls(redis) < calls && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.Equal(calls, Calls(redis));
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name == nameof(IConnectionMultiplexer.ConfigureAsync))
            {
                Interlocked.Increment(ref _calls);
                return Task.FromResult(true);
            }

            throw new NotSupportedException(targetMethod?.Name);
        }
    }
}
