using NoteSync.Tests.Infra;
using StackExchange.Redis;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// A node stopped while Redis answers <c>BUSY</c> (a long script runs there) exits like any orderly stop: every
/// write it acknowledged is in Redis already, so a backplane that cannot unsubscribe on the way out is said,
/// not a crash (it aborted the process with an unhandled <c>RedisServerException</c> from the host's disposal).
/// </summary>
public sealed class RedisBusyStopTests
{
    [Fact]
    public async Task AStopWhileRedisIsBusyWithAScriptExitsCleanly()
    {
        // Arrange: a node on Redis, a device synced through it; then a script that runs until killed, after
        // which Redis answers BUSY to every other command (within 100 ms here instead of 5 s).
        await using var server = await ServerProcess.StartOnStoreAsync(TestStores.Redis);
        await using (var device = await HubDevice.ConnectAsync(server, "laptop", messagePack: false))
        {
            await device.PutAsync("note:kept", "written before the stop");
        }

        await using var scripted = await server.Redis!.ConnectAsync();
        await using var admin = await server.Redis.ConnectAsync();
        await admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "busy-reply-threshold", "100");
        var busy = scripted.GetDatabase().ScriptEvaluateAsync("while true do end");
        await WaitForBusyAsync(admin);

        // Act
        try
        {
            await server.StopAsync();
        }
        finally
        {
            await admin.GetDatabase().ExecuteAsync("SCRIPT", "KILL");
            await Assert.ThrowsAsync<RedisServerException>(() => busy);
        }

        // Assert: an orderly exit, and the reason in the log.
        Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}:\n{server.Output}");
        Assert.DoesNotContain("Unhandled exception", server.Output, StringComparison.Ordinal);
        Assert.Contains("Redis", server.Output, StringComparison.Ordinal);
        Assert.Contains("BUSY", server.Output, StringComparison.Ordinal);
    }

    private static Task WaitForBusyAsync(ConnectionMultiplexer admin) =>
        ClientKit.WaitUntilAsync(
            async () =>
            {
                try
                {
                    await admin.GetDatabase().PingAsync();
                    return false;
                }
                catch (RedisServerException ex) when (ex.Message.StartsWith("BUSY", StringComparison.Ordinal))
                {
                    return true;
                }
            },
            "Redis to answer BUSY while the script runs");
}
