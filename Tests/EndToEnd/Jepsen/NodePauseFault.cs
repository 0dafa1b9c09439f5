namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// SIGSTOP of a random node for a few seconds, then SIGCONT: its sockets stay open but nothing
/// answers, as with a long GC pause or a hung VM. Its connected devices must catch up after.
/// </summary>
internal sealed class NodePauseFault : IFault
{
    // Longer than a writer's push timeout, so pushes on the stopped node are cut and retried elsewhere.
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(4);

    public string Name => "SIGSTOP/SIGCONT of a node";

    public async Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random)
    {
        var node = random.Next(JepsenCluster.NodeCount);
        var server = cluster.Nodes[node];
        var start = history.Now;
        cluster.MarkDown(node);
        server.Signal("STOP");
        try
        {
            // The signal is delivered asynchronously: wait for the kernel to show the process stopped, then the
            // evidence that it is: it cannot answer /healthz.
            await server.WaitUntilStoppedAsync(TimeSpan.FromSeconds(10));
            using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromMilliseconds(700) };
            var answered = false;
            try
            {
                using var response = await http.GetAsync("healthz");
                answered = true;
            }
            catch (Exception ex) when (ex is TaskCanceledException or HttpRequestException)
            {
                // Timed out, or the kernel gave up on the connection: either way the process did not answer.
            }

            if (answered)
            {
                throw new InvalidOperationException($"node {node} (pid {server.ProcessId}) answered /healthz while stopped");
            }

            await Task.Delay(Pause);
        }
        finally
        {
            server.Signal("CONT");
            cluster.MarkUp(node);
        }

        history.AddFault(new FaultEvent($"SIGSTOP node {node}", start, history.Now, $"pid {server.ProcessId}: /healthz unanswered while stopped"));
    }
}
