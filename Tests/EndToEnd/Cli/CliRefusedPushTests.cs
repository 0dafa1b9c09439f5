using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// <c>push</c> when the server refuses some writes for good: the others go up, each refused file is named
/// with the server's reason, only acknowledged writes are counted, the exit code is 7, the file stays
/// unsynced (and listed by <c>status</c>) until it changes, and a push too large for one body is sent
/// in pieces rather than refused whole.
/// </summary>
public sealed class CliRefusedPushTests
{
    [Theory]
    [InlineData("--hub-path", "hubs/sync")]
    [InlineData("--poll", "--poll")]
    public async Task PushOfANoteOverTheValueLimitNamesItExitsSevenAndSendsTheRest(string option, string value)
    {
        // Arrange: values of at most 64 KiB; a 100 KB note among five small ones.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxValueBytes"] = "65536" });
        using var folder = new TempDirectory();
        string[] transport = option == value ? [option] : [option, value];
        CliKit.WriteNote(folder.Path, "big.md", new string('x', 100_000));
        foreach (var name in (string[])["a", "b", "c", "d", "e"])
        {
            CliKit.WriteNote(folder.Path, $"{name}.md", name);
        }

        // Act
        var (exit, stdout, stderr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop", transport));

        // Assert: exit 7; the refused file named with the server's reason; five acknowledged, not six.
        Assert.True(exit == 7, $"exit {exit}: {stdout} {stderr}");
        Assert.Contains("refused by the server: big.md: too_large: changes[0].value must be at most 65536 UTF-8 bytes; not synced until the file changes", stderr, StringComparison.Ordinal);
        Assert.Contains("5 writes acknowledged, 1 refused by the server", stdout, StringComparison.Ordinal);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        Assert.Equal(["note:a.md", "note:b.md", "note:c.md", "note:d.md", "note:e.md"], observer.Snapshot().Keys.Order(StringComparer.Ordinal));

        // Act: status, and a second push with nothing changed.
        var (_, status, _) = await CliProcess.RunAsync(["status", folder.Path]);
        var (again, againOut, againErr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop", transport));

        // Assert: still refused, still said, nothing sent as acknowledged.
        Assert.Contains("refused:    1", status, StringComparison.Ordinal);
        Assert.Contains("refused:    big.md: too_large: changes[0].value must be at most 65536 UTF-8 bytes", status, StringComparison.Ordinal);
        Assert.True(again == 7, $"exit {again}: {againOut} {againErr}");
        Assert.Contains("0 writes acknowledged, 1 refused by the server", againOut, StringComparison.Ordinal);
        Assert.Contains("refused by the server: big.md", againErr, StringComparison.Ordinal);

        // Act: the file changes.
        CliKit.WriteNote(folder.Path, "big.md", "short now");
        var (fixedExit, fixedOut, fixedErr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop", transport));

        // Assert: it goes up, and nothing is refused any more.
        Assert.True(fixedExit == 0, $"exit {fixedExit}: {fixedOut} {fixedErr}");
        Assert.Contains("1 writes acknowledged", fixedOut, StringComparison.Ordinal);
        await observer.PullAsync();
        Assert.Equal("short now", observer.Snapshot()["note:big.md"]);
        var (_, statusAfter, _) = await CliProcess.RunAsync(["status", folder.Path]);
        Assert.Contains("refused:    0", statusAfter, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task APushLargerThanTheServersMessageLimitGoesInPiecesAndOnlyAWriteTooLargeForAnyIsRefused(bool poll)
    {
        // Arrange: messages of at most 256 KiB; twenty notes of 60 KB (1.2 MB together) and one of 300 KB,
        // which no message can carry.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxMessageBytes"] = "262144" });
        using var folder = new TempDirectory();
        for (var i = 0; i < 20; i++)
        {
            CliKit.WriteNote(folder.Path, $"n{i:00}.md", new string((char)('a' + i), 60_000));
        }

        CliKit.WriteNote(folder.Path, "huge.md", new string('z', 300_000));

        // Act
        var (exit, stdout, stderr) = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "laptop", poll ? ["--poll"] : []));

        // Assert: the twenty are on the server and counted; the huge one is named, refused, not counted.
        Assert.True(exit == 7, $"exit {exit}: {stdout} {stderr}");
        Assert.Contains("20 writes acknowledged, 1 refused by the server", stdout, StringComparison.Ordinal);
        Assert.Contains("refused by the server: huge.md: too_large:", stderr, StringComparison.Ordinal);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        var held = observer.Snapshot();
        Assert.Equal(20, held.Count);
        Assert.DoesNotContain("note:huge.md", held.Keys);
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(60_000, held[$"note:n{i:00}.md"].Length));
    }

    [Fact]
    public async Task APollingPushThroughAProxyWithASmallerBodyLimitGoesInPiecesAndNamesTheNoteItRefuses()
    {
        // Arrange: a proxy taking bodies of at most 256 KiB, answering 413 with HTML beyond (nginx's way),
        // in front of a server with the default limits; twenty notes of 60 KB and one of 300 KB.
        await using var server = await InProcessServer.StartAsync();
        await using var proxy = await BodyLimitProxy.StartAsync(server.BaseUri, 262_144);
        using var folder = new TempDirectory();
        for (var i = 0; i < 20; i++)
        {
            CliKit.WriteNote(folder.Path, $"n{i:00}.md", new string((char)('a' + i), 60_000));
        }

        CliKit.WriteNote(folder.Path, "huge.md", new string('z', 300_000));

        // Act
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["push", folder.Path, "--server", proxy.BaseUri.ToString(), "--device", "laptop", "--max-retry-ms", "500", "--poll"]);

        // Assert: the twenty went through the proxy; the huge one is named with the proxy's status.
        Assert.True(exit == 7, $"exit {exit}: {stdout} {stderr}");
        Assert.Contains("20 writes acknowledged, 1 refused by the server", stdout, StringComparison.Ordinal);
        Assert.Contains("refused by the server: huge.md: too_large: HTTP 413", stderr, StringComparison.Ordinal);
        Assert.True(proxy.Refused > 0);
        await using var observer = HttpDevice.Create(server, "observer");
        await observer.PullAsync();
        var held = observer.Snapshot();
        Assert.Equal(20, held.Count);
        Assert.DoesNotContain("note:huge.md", held.Keys);
    }

    [Fact]
    public async Task ALiveSyncNamesARefusedFileKeepsSyncingAndStatusListsIt()
    {
        // Arrange: a running sync against a server taking values of at most 64 KiB.
        await using var server = await InProcessServer.StartAsync(new Dictionary<string, string> { ["NoteSync__Limits__MaxValueBytes"] = "65536" });
        using var folder = new TempDirectory();
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");

        // Act: a note too large, then a small one.
        CliKit.WriteNote(folder.Path, "big.md", new string('x', 100_000));
        await cli.WaitForStderrAsync("refused by the server: big.md: too_large: changes[0].value must be at most 65536 UTF-8 bytes");
        CliKit.WriteNote(folder.Path, "after.md", "after");

        // Assert: the small one still goes up; status, read from the running sync, lists the refused one.
        await using var observer = HttpDevice.Create(server, "observer");
        await ClientKit.WaitUntilAsync(async () => (await observer.PullAsync()) is not null && observer.Snapshot().ContainsKey("note:after.md"), "the note after the refused one to reach the server");
        Assert.DoesNotContain("note:big.md", observer.Snapshot().Keys);
        await ClientKit.WaitUntilAsync(async () => (await CliProcess.RunAsync(["status", folder.Path])).Stdout.Contains("refused:    big.md: too_large", StringComparison.Ordinal), "status to list the refused file");
    }
}
