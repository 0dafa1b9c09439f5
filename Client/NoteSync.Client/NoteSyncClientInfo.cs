namespace NoteSync.Client;

/// <summary>
/// The .NET client library. It holds the shared protocol and CRDT today (through NoteSync.Shared); the
/// offline-first client with its outbox arrives with the client issue.
/// </summary>
public static class NoteSyncClientInfo
{
    /// <summary>The contract version this library speaks.</summary>
    public const string ContractVersion = "1";
}
