using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// The README's tour as written: <c>tools/wscat.cs</c>, run with <c>dotnet run</c> (nothing but the SDK),
/// is the browser on the raw WebSocket; it sends the typed hello push, prints the answer, prints the
/// note a script then writes over HTTP as it arrives live, and the conflict the same note at the same
/// timestamp makes: every frame exactly as the README shows it (but the epoch, a random name).
/// </summary>
public sealed class WsCatToolTests
{
    private const string Hello = """{"type":"sync_push","changes":[],"last_ack":0,"request_id":"hello"}""";

    private const string Conflicting = """{"type":"sync_push","changes":[{"key":"note:inbox/todo","value":"buy oat milk","timestamp":1}],"last_ack":1,"request_id":"2"}""";

    // A first `dotnet run` of a file compiles it: seconds on a quiet machine, longer on a busy one.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task TheToursWebSocketTerminalSendsTypedLinesAndPrintsWhatArrives()
    {
        // Arrange: the tour's command and first line are the README's.
        var readme = RepositoryFiles.Read("README.md");
        Assert.Contains("dotnet run tools/wscat.cs -- 'ws://localhost:5000/ws/sync?device_id=browser'", readme, StringComparison.Ordinal);
        Assert.Contains(Hello, readme, StringComparison.Ordinal);
        Assert.Contains(Conflicting, readme, StringComparison.Ordinal);
        await using var server = await InProcessServer.StartAsync();
        var url = $"ws://127.0.0.1:{server.BaseUri.Port}/ws/sync?device_id=browser";
        var start = new ProcessStartInfo("dotnet", ["run", "tools/wscat.cs", "--", url])
        {
            WorkingDirectory = RepositoryFiles.Root(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        var lines = Channel.CreateUnbounded<string>();
        var errors = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Writer.TryWrite(line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Act: the hello push, typed; then a script's note over HTTP.
            await process.StandardInput.WriteLineAsync(Hello);
            var answer = await NextLineAsync(lines, "the answer to hello", errors);
            using var http = new HttpClient { BaseAddress = server.BaseUri };
            using var posted = await http.PostAsync(
                "sync?device_id=script",
                new StringContent("""{"type":"sync_push","changes":[{"key":"note:inbox/todo","value":"buy milk","timestamp":1}],"last_ack":0}""", Encoding.UTF8, "application/json"));
            var live = await NextLineAsync(lines, "the live push", errors);
            await process.StandardInput.WriteLineAsync(Conflicting);
            var conflict = await NextLineAsync(lines, "the answer to the same note at the same timestamp", errors);
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(Timeout);

            // Assert
            var documented = readme.Split('\n').Single(l => l.StartsWith("""{"type":"sync_ack","ack_timestamp":0,""", StringComparison.Ordinal));
            Assert.Equal(AnyEpoch(documented), AnyEpoch(answer));
            Assert.True(posted.IsSuccessStatusCode);
            var documentedLive = readme.Split('\n').Single(l => l.StartsWith("""{"type":"sync_ack","ack_timestamp":1,""", StringComparison.Ordinal));
            Assert.Equal(AnyEpoch(documentedLive), AnyEpoch(live));
            var documentedConflict = readme.Split('\n').Single(l => l.StartsWith("""{"type":"sync_ack","ack_timestamp":2,""", StringComparison.Ordinal));
            Assert.Equal(AnyEpoch(documentedConflict), AnyEpoch(conflict));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    // Epochs are random names (docs/protocol.md §3): the README shows one.
    private static string AnyEpoch(string frame) => System.Text.RegularExpressions.Regex.Replace(frame, "\"epoch\":\"[0-9a-f]+\"", "\"epoch\":\"<epoch>\"");

    private static async Task<string> NextLineAsync(Channel<string> lines, string what, StringBuilder errors)
    {
        try
        {
            return await lines.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            lock (errors)
            {
                throw new TimeoutException($"no line for {what} within {Timeout}; stderr: {errors}");
            }
        }
    }
}
