using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// One server process per data directory: the writer keeps each space's clock in memory, so a second
/// process on the same files would refuse writes and could move a stored clock backwards.
/// </summary>
public sealed class DataDirectoryLockTests
{
    [Fact]
    public async Task ASecondServerOnTheSameDataDirectoryRefusesToStartAndTheFirstKeepsServing()
    {
        // Arrange
        using var data = new TempDirectory();
        await using var first = await ServerProcess.StartAsync(dataDir: data.Path);
        await using (var device = HttpDevice.Create(first, "before"))
        {
            await device.PutAsync("note:before", "written by the first server");
        }

        // Act
        var refused = await StartRefusedAsync(data.Path);

        // Assert: a prompt exit (not the start-up timeout) with code 5 and one plain sentence naming the
        // directory, not an unhandled exception's stack trace.
        Assert.Contains("exited during start-up (exit code 5)", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"another NoteSync server holds the data directory {data.Path}", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Message, StringComparison.Ordinal);

        await using var writer = HttpDevice.Create(first, "after");
        await writer.PutAsync("note:after", "still served");
        await writer.PullAsync();
        Assert.Equal("written by the first server", writer.ValueOf("note:before"));
        Assert.Equal("still served", writer.ValueOf("note:after"));
    }

    [Fact]
    public async Task AServerStartsOnTheDataDirectoryOfOneThatWasKilled()
    {
        // Arrange: kill -9 runs no shutdown code, so only the kernel can release the lock.
        using var data = new TempDirectory();
        await using var crashed = await ServerProcess.StartAsync(dataDir: data.Path);
        await using (var device = HttpDevice.Create(crashed, "before"))
        {
            await device.PutAsync("note:kept", "acked before the crash");
        }

        crashed.Kill();

        // Act
        await using var next = await ServerProcess.StartAsync(dataDir: data.Path);

        // Assert
        await using var reader = HttpDevice.Create(next, "reader");
        await reader.PullAsync();
        Assert.Equal("acked before the crash", reader.ValueOf("note:kept"));
    }

    // Assert.ThrowsAsync would leave a server that did start running after the test failed.
    private static async Task<InvalidOperationException> StartRefusedAsync(string dataDir)
    {
        try
        {
            await using var started = await ServerProcess.StartAsync(dataDir: dataDir);
        }
        catch (InvalidOperationException refused)
        {
            return refused;
        }

        throw new Xunit.Sdk.XunitException($"a second server started on {dataDir}, beside the first");
    }
}
