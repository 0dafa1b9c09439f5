using System.Net;

namespace NoteSync.Tests.Infra;

/// <summary>What every bad-input and abuse test checks afterwards: the server is healthy and a device still syncs.</summary>
internal static class ServerAssert
{
    /// <summary>
    /// <c>/healthz</c> answers 200, and the server logged nothing at error level: bad input is the
    /// client's fault, never a server failure.
    /// </summary>
    public static async Task HealthyAsync(ITestServer server)
    {
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
        Assert.False(server.Output.Contains("fail:", StringComparison.Ordinal), server.Output);
    }

    /// <summary>A new note from <paramref name="device"/> reaches <paramref name="watcher"/>.</summary>
    public static async Task StillSyncsAsync(TestDevice device, TestDevice watcher)
    {
        var key = $"note:still-syncing/{Guid.NewGuid():N}";
        await device.PutAsync(key, "still syncing");
        await watcher.WaitForValueAsync(key, "still syncing");
    }
}
