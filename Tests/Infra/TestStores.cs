namespace NoteSync.Tests.Infra;

/// <summary>
/// The two stores a server test can run on (hostile-input and limit tests run on both), as theory
/// data; <see cref="ServerProcess.StartOnStoreAsync"/> starts a server on one.
/// </summary>
public static class TestStores
{
    /// <summary>The embedded default: SQLite in the server's data directory.</summary>
    public const string Sqlite = "sqlite";

    /// <summary><c>NoteSync:Store=redis</c> on a real redis-server.</summary>
    public const string Redis = "redis";

    public static readonly string[] All = [Sqlite, Redis];

    /// <summary>Each store.</summary>
    public static TheoryData<string> Both => [.. All];

    /// <summary>Each store with the test's flag (auth, MessagePack, ...) false and true.</summary>
    public static TheoryData<string, bool> BothWithFalseAndTrue
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var store in All)
            {
                data.Add(store, false);
                data.Add(store, true);
            }

            return data;
        }
    }

    /// <summary>Every row of <paramref name="rows"/> once per store, the store first.</summary>
    public static TheoryData<string, T1, T2, T3> Cross<T1, T2, T3>(TheoryData<T1, T2, T3> rows)
    {
        var data = new TheoryData<string, T1, T2, T3>();
        foreach (var store in All)
        {
            foreach (var row in rows)
            {
                data.Add(store, (T1)row[0], (T2)row[1], (T3)row[2]);
            }
        }

        return data;
    }
}
