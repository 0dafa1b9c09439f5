using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>
/// Conflicts shown in the folder and resolved with the CLI, with and without a running sync: the equal-timestamp
/// one, a train edit that loses to a newer clock, an offline edit kept as a lower sibling, a three-device conflict.
/// </summary>
public sealed class CliConflictTests
{
    [Fact]
    public async Task EqualTimestampConflictIsShownBesideTheNoteAndResolvedThroughTheRunningSync()
    {
        // Arrange: the CLI (dev-a) writes plans.md; a library device (dev-b) writes it at the very same timestamp.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        await using var observer = HttpDevice.Create(server, "observer");
        CliKit.WriteNote(folder.Path, "plans.md", "a's plan");
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "dev-a");
        await ClientKit.WaitUntilAsync(async () => (await observer.PullAsync()) is not null && observer.ValueOf("note:plans.md") == "a's plan", "the server has a's plan");
        var timestamp = observer.StateOf("note:plans.md")!.Timestamp;
        await using var b = ClientKit.Create(server, "dev-b", libDir.Path);
        await b.WriteWithTimestampAsync("plans.md", "b's plan", timestamp);
        b.Start();
        await b.SyncBoundedAsync();

        // Act 1: the conflict reaches the folder.
        await CliKit.WaitForFileAsync(folder.Path, "plans.conflict-dev-a.md", "a's plan");
        await cli.WaitForStderrAsync("conflict: plans.md");
        await ClientKit.WaitUntilAsync(() => File.ReadAllText(Path.Combine(folder.Path, ".notesync", "status.json")).Contains("plans.md", StringComparison.Ordinal), "the status to count the conflict");
        var conflicts = await CliProcess.RunAsync(["conflicts", folder.Path]);
        var status = await CliProcess.RunAsync(["status", folder.Path]);

        // Assert 1: the note shows the winner (the greater device id), the sibling sits beside it.
        Assert.Equal("b's plan", CliKit.ReadNote(folder.Path, "plans.md"));
        Assert.Equal(0, conflicts.Exit);
        Assert.Equal("plans.md  plans.conflict-dev-a.md", conflicts.Stdout.Trim());
        Assert.Contains("conflicts:  1", status.Stdout, StringComparison.Ordinal);
        Assert.Single(b.GetConflicts());

        // Act 2: keep mine, through the sync that runs on the folder.
        var resolved = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "plans.md"), "--keep", "mine"]);

        // Assert 2: the note is a's plan everywhere, the conflict and its copy are gone.
        Assert.True(resolved.Exit == 0, resolved.Stderr);
        Assert.Contains("by the running sync", resolved.Stdout, StringComparison.Ordinal);
        await ClientKit.WaitUntilAsync(() => b.Get("plans.md") == "a's plan" && b.GetConflicts().Count == 0, "b to get the resolution");
        await CliKit.WaitForFileAsync(folder.Path, "plans.conflict-dev-a.md", null);
        Assert.Equal("a's plan", CliKit.ReadNote(folder.Path, "plans.md"));
        Assert.Equal("", (await CliProcess.RunAsync(["conflicts", folder.Path])).Stdout);
    }

    [Fact]
    public async Task EditOnTheTrainCrossingANewerEditElsewhereIsKeptBesideItOnEveryDevice()
    {
        // Arrange: the laptop's folder is in sync, then its sync stops (the lid closes).
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        CliKit.WriteNote(folder.Path, "shared.md", "v1");
        await using var phone = ClientKit.Start(server, "phone", libDir.Path);
        await using (var first = await CliKit.StartSyncAsync(folder.Path, server, "laptop"))
        {
            await ClientKit.WaitUntilAsync(() => phone.Get("shared.md") == "v1", "the phone has v1");
            first.Interrupt();
            Assert.Equal(130, await first.WaitForExitAsync());
        }

        // Act: the laptop edits offline; the phone writes a version with a far higher clock that reaches the server first.
        CliKit.WriteNote(folder.Path, "shared.md", "laptop's edit on the train");
        await phone.WriteWithTimestampAsync("shared.md", "phone's edit", 1000);
        await phone.SyncBoundedAsync();
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");

        // Assert: neither saw the other, so both are kept on every device whatever the clocks: the laptop's edit
        // goes up as an edit of v1, above the phone's clock, and the phone's is kept beside it, said and listed.
        await CliKit.WaitForFileAsync(folder.Path, "shared.conflict-phone.md", "phone's edit");
        Assert.Equal("laptop's edit on the train", CliKit.ReadNote(folder.Path, "shared.md"));
        await cli.WaitForStderrAsync("shared.md was edited here and on phone since the last sync; both edits are kept");
        await ClientKit.WaitUntilAsync(() => phone.GetConflicts().Count == 1, "the phone to see the conflict");
        var conflict = Assert.Single(phone.GetConflicts());
        Assert.Equal(("laptop's edit on the train", "laptop"), (conflict.Winner.Value, conflict.Winner.DeviceId));
        Assert.Equal("phone's edit", Assert.Single(conflict.Siblings).Value);
        await ClientKit.WaitUntilAsync(() => File.ReadAllText(Path.Combine(folder.Path, ".notesync", "status.json")).Contains("shared.md", StringComparison.Ordinal), "the status to count the conflict");
        Assert.Equal("shared.md  shared.conflict-phone.md", (await CliProcess.RunAsync(["conflicts", folder.Path])).Stdout.Trim());

        // Keeping theirs puts the phone's edit in the note everywhere and removes the copy.
        var resolved = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "shared.md"), "--keep", "theirs"]);
        Assert.True(resolved.Exit == 0, resolved.Stderr);
        await ClientKit.WaitUntilAsync(() => phone.Get("shared.md") == "phone's edit" && phone.GetConflicts().Count == 0, "the phone to get the resolution");
        await CliKit.WaitForFileAsync(folder.Path, "shared.md", "phone's edit");
        await CliKit.WaitForFileAsync(folder.Path, "shared.conflict-phone.md", null);
        Assert.Equal("", (await CliProcess.RunAsync(["conflicts", folder.Path])).Stdout);
    }

    [Fact]
    public async Task OfflineEditThatANewerEditElsewhereDidNotSeeIsKeptAsALowerSiblingWithItsCopy()
    {
        // Arrange: the folder and a library device (the phone) hold v1.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var libDir = new TempDirectory();
        CliKit.WriteNote(folder.Path, "shared.md", "v1");
        await using var phone = ClientKit.Start(server, "phone", libDir.Path);
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");
        await ClientKit.WaitUntilAsync(() => phone.Get("shared.md") == "v1", "the phone has v1");

        // Act: the server goes away; the laptop's sync queues its edit of v1; the phone, its clock far ahead
        // (many other notes), edits v1 too; the server comes back and both go up.
        await server.StopAsync();
        await cli.WaitForStderrAsync("offline:");
        CliKit.WriteNote(folder.Path, "shared.md", "laptop's edit");
        var statusFile = Path.Combine(folder.Path, ".notesync", "status.json");
        await ClientKit.WaitUntilAsync(() => File.Exists(statusFile) && File.ReadAllText(statusFile).Contains("\"outbox\": 1", StringComparison.Ordinal), "the edit to be queued");
        await phone.WriteManyAsync([.. Enumerable.Range(0, 50).Select(i => new KeyValuePair<string, string?>($"other/{i}.md", "x"))]);
        await phone.PutAsync("shared.md", "phone's edit");
        await server.StartAgainAsync();
        await phone.SyncBoundedAsync();

        // Assert: neither edit saw the other, so both are kept on every device: the phone's (the higher clock) in
        // the note, the laptop's, a sibling with a lower timestamp, in its copy beside it.
        await CliKit.WaitForFileAsync(folder.Path, "shared.md", "phone's edit");
        await CliKit.WaitForFileAsync(folder.Path, "shared.conflict-laptop.md", "laptop's edit");
        await cli.WaitForStderrAsync("conflict: shared.md was changed on several devices at once; it shows phone's version, laptop's version is in shared.conflict-laptop.md. Resolve with: notesync resolve shared.md --keep mine|theirs|<file>, or --merge to finish a merge of the versions in the note");
        await ClientKit.WaitUntilAsync(() => phone.GetConflicts().Count == 1, "the phone to see the conflict");
        var conflict = Assert.Single(phone.GetConflicts());
        var sibling = Assert.Single(conflict.Siblings);
        Assert.Equal(("laptop's edit", "laptop"), (sibling.Value, sibling.DeviceId));
        Assert.True(sibling.Timestamp < conflict.Winner.Timestamp, "the laptop's edit is below the phone's");
        await ClientKit.WaitUntilAsync(() => File.ReadAllText(statusFile).Contains("shared.md", StringComparison.Ordinal), "the status to count the conflict");
        Assert.Equal("shared.md  shared.conflict-laptop.md", (await CliProcess.RunAsync(["conflicts", folder.Path])).Stdout.Trim());

        // Keeping mine names both versions, so the lower one wins everywhere and the copy goes.
        var resolved = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "shared.md"), "--keep", "mine"]);
        Assert.True(resolved.Exit == 0, resolved.Stderr);
        await ClientKit.WaitUntilAsync(() => phone.Get("shared.md") == "laptop's edit" && phone.GetConflicts().Count == 0, "the phone to get the resolution");
        await CliKit.WaitForFileAsync(folder.Path, "shared.md", "laptop's edit");
        await CliKit.WaitForFileAsync(folder.Path, "shared.conflict-laptop.md", null);
    }

    [Fact]
    public async Task ConflictArrivingByPullIsResolvedWithAFileWhileNoSyncRuns()
    {
        // Arrange: a conflict on notes/todo.md between dev-b and dev-c, pulled into dev-a's folder.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        using var dirB = new TempDirectory();
        using var dirC = new TempDirectory();
        await using var b = ClientKit.Create(server, "dev-b", dirB.Path);
        await using var c = ClientKit.Create(server, "dev-c", dirC.Path);
        await b.WriteWithTimestampAsync("notes/todo.md", "b's list", 500);
        await c.WriteWithTimestampAsync("notes/todo.md", "c's list", 500);
        b.Start();
        c.Start();
        await b.SyncBoundedAsync();
        await c.SyncBoundedAsync();
        var pull = await CliProcess.RunAsync(CliKit.OneShot("pull", folder.Path, server, "dev-a"));
        var merged = Path.Combine(folder.Path, "merged.txt");
        await File.WriteAllTextAsync(merged, "b's and c's lists");

        // Act: mine and theirs are refused (dev-a wrote nothing, two others did); a file is kept.
        var mine = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "notes/todo.md"), "--keep", "mine"]);
        var theirs = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "notes/todo.md"), "--keep", "theirs"]);
        var keepFile = await CliProcess.RunAsync(["resolve", Path.Combine(folder.Path, "notes/todo.md"), "--keep", merged]);
        var push = await CliProcess.RunAsync(CliKit.OneShot("push", folder.Path, server, "dev-a"));

        // Assert
        Assert.True(pull.Exit == 0, pull.Stderr);
        Assert.Contains("1 notes in conflict", pull.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, mine.Exit);
        Assert.Contains("wrote no version", mine.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, theirs.Exit);
        Assert.Contains("notes/todo.md, notes/todo.conflict-dev-b.md", theirs.Stderr, StringComparison.Ordinal);
        Assert.True(keepFile.Exit == 0, keepFile.Stderr);
        Assert.True(push.Exit == 0, push.Stderr);
        Assert.Equal("b's and c's lists", CliKit.ReadNote(folder.Path, "notes/todo.md"));
        Assert.Null(CliKit.ReadNote(folder.Path, "notes/todo.conflict-dev-b.md"));
        await ClientKit.WaitUntilAsync(() => b.Get("notes/todo.md") == "b's and c's lists" && b.GetConflicts().Count == 0, "b to get the resolution");
    }
}
