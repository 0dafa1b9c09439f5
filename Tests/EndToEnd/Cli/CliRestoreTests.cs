using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd.Cli;

/// <summary>A folder under <c>notesync sync</c> while the server is restored from a backup.</summary>
public sealed class CliRestoreTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task FolderSyncedThroughARestoreKeepsItsFilesPutsThemBackAndGetsTheNewNotes()
    {
        // Arrange: a synced folder; a backup of the server; then a note written in the folder and one from
        // a phone, both acknowledged, both lost by the restore.
        await using var server = await InProcessServer.StartAsync();
        using var folder = new TempDirectory();
        CliKit.WriteNote(folder.Path, "kept/before.md", "before the backup");
        await using var cli = await CliKit.StartSyncAsync(folder.Path, server, "laptop");
        await ServerNotes.WaitForAsync(server, new Dictionary<string, string> { ["note:kept/before.md"] = "before the backup" });
        await server.StopAsync();
        using var backup = DataDirectoryBackup.Take(server.DataDir);
        await server.StartAgainAsync();
        CliKit.WriteNote(folder.Path, "lost/mine.md", "written here after the backup");
        await using (var phone = HttpDevice.Create(server, "phone"))
        {
            await phone.PutAsync("note:lost/phone.md", "from the phone after the backup");
        }

        await CliKit.WaitForFileAsync(folder.Path, "lost/phone.md", "from the phone after the backup", Patience);
        await ServerNotes.WaitForAsync(server, new Dictionary<string, string>
        {
            ["note:kept/before.md"] = "before the backup",
            ["note:lost/mine.md"] = "written here after the backup",
            ["note:lost/phone.md"] = "from the phone after the backup",
        }, Patience);

        // Act: the restore, by the book, under the running CLI; three new notes from another device.
        await server.StopAsync();
        backup.RestoreInto(server.DataDir);
        var (exit, stdout, stderr) = await ServerCommand.RunAsync(new Dictionary<string, string> { ["NoteSync__DataDir"] = server.DataDir }, "renew-epoch");
        Assert.True(exit == 0, $"renew-epoch exited {exit}: {stdout}{stderr}");
        await server.StartAgainAsync();
        await using (var desktop = HttpDevice.Create(server, "desktop"))
        {
            await desktop.PutManyAsync([("note:new/1.md", "one"), ("note:new/2.md", "two"), ("note:new/3.md", "three")]);
        }

        // Assert: the folder holds every note (nothing deleted), the server got back what it lost, and the
        // CLI said what happened in words.
        var expected = new Dictionary<string, string>
        {
            ["kept/before.md"] = "before the backup",
            ["lost/mine.md"] = "written here after the backup",
            ["lost/phone.md"] = "from the phone after the backup",
            ["new/1.md"] = "one",
            ["new/2.md"] = "two",
            ["new/3.md"] = "three",
        };
        await ClientKit.WaitUntilAsync(() => CliKit.Files(folder.Path).SequenceEqual(expected), "the folder to hold every note", Patience);
        await ServerNotes.WaitForAsync(server, expected.ToDictionary(e => "note:" + e.Key, e => e.Value), Patience);
        await ClientKit.WaitUntilAsync(() => cli.Stdout.Contains("in sync again after the server's history changed: 2 notes re-uploaded", StringComparison.Ordinal), "the CLI to report the re-upload", Patience);
        Assert.Contains("the server's history changed (restore or failover): re-reading the space", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains("re-uploading 2 notes the server lost", cli.Stderr, StringComparison.Ordinal);
        Assert.True(CliKit.Files(folder.Path).SequenceEqual(expected), "nothing was deleted afterwards");
        Assert.False(cli.HasExited, cli.Stderr);
    }
}
