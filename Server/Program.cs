using System.Globalization;
using NoteSync.Server;
using NoteSync.Server.Auth;
using NoteSync.Server.Stores;
using NoteSync.Server.Stores.Sqlite;
using NoteSync.Shared.Protocol;
using StackExchange.Redis;

// ICU is loaded for Unicode normalization only (NoteSync.Server.csproj): numbers, dates and messages
// come out the same whatever the host's locale.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

if (args is [TokenCommand.Name, .. var tokenArgs])
{
    return TokenCommand.Run(tokenArgs, Console.Out, Console.Error);
}

if (args is [DataDirectoryCommands.Backup or DataDirectoryCommands.RenewEpoch, .. var storeArgs])
{
    return await DataDirectoryCommands.RunAsync(args[0], storeArgs, Console.Out, Console.Error);
}

if (args is [CompactCommand.Name, .. var compactArgs])
{
    return await CompactCommand.RunAsync(compactArgs, Console.Out, Console.Error);
}

if (!KeyCharacters.CanCheckNormalization)
{
    // Without ICU every key would pass as NFC, and keys that differ only invisibly would be let in.
    Console.Error.WriteLine("NoteSync did not start: keys are checked for Unicode normalization form C (docs/protocol.md §1), which needs ICU: install libicu, and unset DOTNET_SYSTEM_GLOBALIZATION_INVARIANT");
    return 1;
}

if (args is [RefusedKeysCommand.Name, .. var refusedKeysArgs])
{
    return await RefusedKeysCommand.RunAsync(refusedKeysArgs, Console.Out, Console.Error);
}

// Opening the store may find another server's lock on the data directory.
WebApplication app;
try
{
    app = NoteSyncApp.Create(args);
}
catch (DataDirectoryLockedException ex)
{
    // An operator's mistake, not a crash: one line that says what to do, and an exit code a script
    // or service manager can tell apart, rather than an unhandled exception's stack trace.
    Console.Error.WriteLine($"NoteSync did not start: {ex.Message}");
    return DataDirectoryLockedException.ExitCode;
}

// Read once the host is disposed, when its services (the lifetime among them) can no longer be asked.
var stopping = false;
app.Lifetime.ApplicationStopping.Register(() => stopping = true);
try
{
    app.Run();
}
catch (RedisException ex) when (stopping)
{
    // Stopping while Redis cannot answer (busy with a long script, or gone): every write this node
    // acknowledged is in Redis already, and what is left undone (the backplane's unsubscribe) ends with the
    // connection. An orderly stop, said on stderr, not an abort with an unhandled exception.
    Console.Error.WriteLine($"NoteSync stopped; Redis could not be told goodbye: {ex.Message}");
}

return 0;

