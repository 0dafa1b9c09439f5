using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// What <c>restore</c> and <c>undelete</c> ask for: the note at <see cref="NotePath"/> back at one of its versions
/// (<see cref="Version"/>), or, when that is null, out of the trash with its last text.
/// </summary>
internal sealed record Restoration(string NotePath, NoteVersionId? Version)
{
    /// <summary>Restores through <paramref name="sync"/>'s client (an ordinary write) and brings the note file in step.</summary>
    public async Task<string> ApplyAsync(FolderSync sync, NoteSyncClient client, string? server)
    {
        // An edit of the file not taken yet goes up first: it is a version of its own, kept in the history,
        // and the restore then replaces it instead of being overwritten by it.
        await sync.ReconcileFileAsync(NotePath, push: true);
        string? text;
        try
        {
            text = await ServerReads.Translate(
                async () => Version is { } v ? await client.RestoreAsync(NotePath, v.Timestamp, v.DeviceId) : await client.UndeleteAsync(NotePath),
                server);
        }
        catch (TokenRefusedException)
        {
            throw new CliException(ExitCodes.AuthRefused, "the server refused the token (401): check --token or NOTESYNC_TOKEN");
        }

        await sync.ReconcileAsync(NotePath, push: true);
        var size = text is null ? "" : $" ({System.Text.Encoding.UTF8.GetByteCount(text):N0} bytes)";
        return Version switch
        {
            { } v when text is null => $"restored {NotePath} to {v}, a delete: the file is removed",
            { } v => $"restored {NotePath} to {v}{size}",
            null => $"undeleted {NotePath}{size}",
        };
    }
}
