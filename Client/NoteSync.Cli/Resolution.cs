using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// What <c>resolve --keep</c> asks for: <c>mine</c> (the version this device wrote), <c>theirs</c> (the one
/// other device's version), or a file whose content becomes the note.
/// </summary>
internal sealed record Resolution(string NotePath, string Keep, string? FileContent)
{
    public const string Mine = "mine";
    public const string Theirs = "theirs";

    /// <summary>Resolves through <paramref name="sync"/>'s client and brings the note file and its conflict copies in step.</summary>
    public async Task<string> ApplyAsync(FolderSync sync, NoteSyncClient client)
    {
        var conflict = client.GetConflicts().FirstOrDefault(c => c.Path == NotePath);
        if (conflict is null && sync.IsKept(NotePath))
        {
            conflict = KeptAsConflict(sync, client);
        }

        if (conflict is null)
        {
            throw new CliException(ExitCodes.Usage, $"{NotePath} is not in conflict (see `notesync conflicts`)");
        }

        var value = Choose(conflict, sync);
        await client.ResolveAsync(NotePath, value);
        sync.DropKept(NotePath);
        await sync.ReconcileAsync(NotePath, push: true);
        sync.RefreshConflicts(alsoCheck: [NotePath]);
        return $"resolved {NotePath}: kept {Describe(conflict, sync.DeviceId)}";
    }

    /// <summary>A kept conflict seen as a replica conflict: the note's version wins, each kept copy is a sibling.</summary>
    private NoteConflict? KeptAsConflict(FolderSync sync, NoteSyncClient client)
    {
        if (client.GetVersion(NotePath) is not { } winner)
        {
            return null;
        }

        var siblings = new List<NoteVersion>();
        foreach (var copy in sync.CopiesOf(NotePath))
        {
            if (copy.Device != winner.DeviceId && NotePaths.FullOf(sync.Layout.Root, copy.Path) is { } full && File.Exists(full))
            {
                siblings.Add(new NoteVersion(File.ReadAllText(full), 0, copy.Device));
            }
        }

        return siblings.Count == 0 ? null : new NoteConflict(NotePath, winner, siblings);
    }

    private string? Choose(NoteConflict conflict, FolderSync sync)
    {
        var deviceId = sync.DeviceId;
        NoteVersion[] versions = [conflict.Winner, .. conflict.Siblings];
        switch (Keep)
        {
            case Mine:
                var mine = versions.Where(v => v.DeviceId == deviceId).ToList();
                return mine.Count == 1
                    ? mine[0].Value
                    : throw new CliException(ExitCodes.Usage, $"{NotePath}: this device ({deviceId}) wrote no version in the conflict; use --keep theirs or --keep <file>");
            case Theirs:
                var theirs = versions.Where(v => v.DeviceId != deviceId).ToList();
                if (theirs.Count == 1)
                {
                    return theirs[0].Value;
                }

                var copies = sync.CopiesOf(NotePath);
                var files = string.Join(", ", theirs.Select(v => v.DeviceId == conflict.Winner.DeviceId
                    ? NotePath
                    : copies.FirstOrDefault(c => c.Device == v.DeviceId)?.Path ?? NotePaths.ConflictPath(NotePath, v.DeviceId)));
                throw new CliException(ExitCodes.Usage, theirs.Count == 0
                    ? $"{NotePath}: no other device's version in the conflict"
                    : $"{NotePath}: several other devices' versions ({files}); use --keep <file> with the one you want");
            default:
                return FileContent ?? throw new CliException(ExitCodes.Usage, $"--keep {Keep}: no content");
        }
    }

    private string Describe(NoteConflict conflict, string deviceId) => Keep switch
    {
        Mine => $"this device's ({deviceId}) version",
        Theirs => $"{conflict.Siblings.Concat([conflict.Winner]).First(v => v.DeviceId != deviceId).DeviceId}'s version",
        _ => $"the content of {Keep}",
    };
}
