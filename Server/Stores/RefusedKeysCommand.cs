using Microsoft.Extensions.Logging.Abstractions;
using NoteSync.Server.Options;
using NoteSync.Server.Stores.Redis;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;
using StackExchange.Redis;

namespace NoteSync.Server.Stores;

/// <summary>
/// <c>refused-keys [--rename]</c>: the notes held under keys the key rule (docs/protocol.md §1.3)
/// refuses, stored before the rule existed, in the store the configuration names
/// (<c>NoteSync:Store</c>, with <c>NoteSync:DataDir</c> or <c>NoteSync:Redis</c> as the server reads them). No device can change or delete
/// them, so the operator lists them and, with <c>--rename</c>, moves each to the key
/// <see cref="KeyRepair"/> gives: one commit per space writes the text under the new key and deletes
/// the old one, so every device follows on its next sync, like any other change. A conflict sibling's
/// text becomes a note of its own beside it (<c>name (2).md</c>): nothing is lost. Deleted notes under
/// such keys hold no text and are left alone. On SQLite the server must be stopped (the command takes
/// the data directory's lock); on Redis it may run, and its nodes learn of the moves by their head
/// checks, as of any commit another node made. Exit codes as <see cref="DataDirectoryCommands"/>.
/// </summary>
internal static class RefusedKeysCommand
{
    public const string Name = "refused-keys";

    /// <summary>The device id of the command's writes, as devices see it in the note's history.</summary>
    public const string Device = "notesync-admin";

    private const string RenameFlag = "--rename";
    private const int PageChanges = 1000;
    private const long PageBytes = 4L * 1024 * 1024;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var rename = args.Contains(RenameFlag);
        if (args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is { } stray)
        {
            error.WriteLine($"{Name}: unexpected argument '{PrintableText.Escape(stray)}'; usage: {Name} [{RenameFlag}] (takes NoteSync:Store and NoteSync:DataDir or NoteSync:Redis from the configuration)");
            return 2;
        }

        var settings = DataDirectoryCommands.Settings([.. args.Where(a => a != RenameFlag)]);
        return await StoreCommands.RunAsync(Name, error, async () =>
        {
            await using var store = await OpenAsync(settings).ConfigureAwait(false);
            if (store is null)
            {
                error.WriteLine(settings.Store == StoreKinds.Redis
                    ? $"{Name}: NoteSync:Store is redis but NoteSync:Redis is not set; give the connection string the server uses"
                    : StoreCommands.NoDatabase(Name, Path.Combine(Path.GetFullPath(settings.DataDir), SqliteSchema.FileName)));
                return settings.Store == StoreKinds.Redis ? 2 : 1;
            }

            var spaces = new List<string>();
            await foreach (var space in store.ListSpacesAsync().ConfigureAwait(false))
            {
                spaces.Add(space);
            }

            spaces.Sort(StringComparer.Ordinal);
            var found = 0;
            var moved = 0;
            for (var i = 0; i < spaces.Count; i++)
            {
                var (refused, taken) = await FindAsync(store, spaces[i]).ConfigureAwait(false);
                found += refused.Count;
                moved += rename && refused.Count > 0 ? await RenameAsync(store, spaces[i], refused, taken, settings.Limits.MaxKeyBytes, output).ConfigureAwait(false) : 0;
                if (!rename)
                {
                    foreach (var entry in refused)
                    {
                        output.WriteLine($"{PrintableText.Escape(spaces[i])}\t{PrintableText.Escape(entry.Key)}\t{KeyCharacters.Problem(entry.Key)}");
                    }
                }

                if ((i + 1) % 1000 == 0)
                {
                    // A store of many spaces takes a while: progress on standard error, the list stays clean.
                    error.WriteLine($"{Name}: {i + 1:N0} of {spaces.Count:N0} spaces read");
                }
            }

            error.WriteLine(rename
                ? $"{Name}: {moved:N0} of {found:N0} notes under refused keys moved, in {spaces.Count:N0} spaces; devices get the new names on their next sync"
                : $"{Name}: {found:N0} notes under refused keys in {spaces.Count:N0} spaces{(found > 0 ? $"; run with {RenameFlag} to move them to keys the rule accepts" : "")}");
            return rename && moved < found ? 1 : 0;
        }).ConfigureAwait(false);
    }

    /// <summary>The store the configuration names, or null when there is none to open.</summary>
    private static async Task<ISyncStore?> OpenAsync(NoteSyncOptions settings)
    {
        if (settings.Store == StoreKinds.Redis)
        {
            return string.IsNullOrWhiteSpace(settings.Redis.Configuration)
                ? null
                : new RedisSyncStore(await ConnectionMultiplexer.ConnectAsync(settings.Redis.Configuration).ConfigureAwait(false), NullLogger.Instance, ownsConnection: true);
        }

        var dataDirectory = Path.GetFullPath(settings.DataDir);
        return File.Exists(Path.Combine(dataDirectory, SqliteSchema.FileName)) ? new SqliteSyncStore(dataDirectory, NullLogger.Instance) : null;
    }

    /// <summary>The space's notes under refused keys (deleted ones left out), and every key that holds text.</summary>
    private static async Task<(List<StoredEntry> Refused, HashSet<string> Taken)> FindAsync(ISyncStore store, string space)
    {
        var refused = new List<StoredEntry>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var after = 0L;
        while (true)
        {
            var page = await store.ReadSinceAsync(space, after, PageChanges, PageBytes).ConfigureAwait(false);
            foreach (var entry in page.Entries)
            {
                if (!HoldsText(entry.State))
                {
                    continue;
                }

                taken.Add(entry.Key);
                if (KeyCharacters.Problem(entry.Key) is not null)
                {
                    refused.Add(entry);
                }
            }

            if (!page.More)
            {
                return (refused, taken);
            }

            after = page.Cursor;
        }
    }

    /// <summary>Moves the notes in one commit; prints each move and each note it cannot move. Returns how many moved.</summary>
    private static async Task<int> RenameAsync(ISyncStore store, string space, List<StoredEntry> refused, HashSet<string> taken, int maxKeyBytes, TextWriter output)
    {
        // Above every write of the space, so each new key and each delete wins over what it lands on.
        var stamp = Math.Max(await store.GetCursorAsync(space).ConfigureAwait(false), refused.Max(e => e.State.Timestamp)) + 1;
        var writes = new List<KeyedWrite>();
        var moved = 0;
        foreach (var entry in refused)
        {
            var target = KeyRepair.Repaired(entry.Key, maxKeyBytes);
            if (target is null)
            {
                output.WriteLine($"{PrintableText.Escape(space)}\t{PrintableText.Escape(entry.Key)}\tnot moved: written out, its key is over NoteSync:Limits:MaxKeyBytes ({maxKeyBytes})");
                continue;
            }

            var texts = new List<string>();
            foreach (var write in entry.State.Writes)
            {
                if (write.Value is { } text && !texts.Contains(text))
                {
                    texts.Add(text);
                }
            }

            var keys = new List<string>();
            foreach (var text in texts)
            {
                var key = KeyRepair.Free(target, taken);
                taken.Add(key);
                keys.Add(key);
                writes.Add(new KeyedWrite(key, new Write(stamp, Device, text)));
            }

            writes.Add(new KeyedWrite(entry.Key, new Write(stamp, Device, null)));
            output.WriteLine($"{PrintableText.Escape(space)}\t{PrintableText.Escape(entry.Key)}\t-> {string.Join(", ", keys)}");
            moved++;
        }

        if (writes.Count > 0)
        {
            await store.ApplyAsync(space, writes).ConfigureAwait(false);
        }

        return moved;
    }

    private static bool HoldsText(EntryState state)
    {
        foreach (var write in state.Writes)
        {
            if (write.Value is not null)
            {
                return true;
            }
        }

        return false;
    }
}
