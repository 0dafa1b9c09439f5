namespace NoteSync.Server.Options;

/// <summary>The values of <c>NoteSync:Store</c>.</summary>
public static class StoreKinds
{
    /// <summary>The embedded SQLite store.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>Redis, for several nodes as one service.</summary>
    public const string Redis = "redis";
}
