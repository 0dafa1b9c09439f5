using Microsoft.Data.Sqlite;

namespace NoteSync.Server.Stores.Sqlite;

/// <summary>
/// The epoch of a SQLite database: one name for the history of all its spaces, kept in the
/// <c>meta</c> table. A database gets one when created; it is renewed when the database may have lost
/// acknowledged history, which a server cannot see by itself (a copy put back is byte for byte what it
/// was), so the operator's restore procedure does it: a server opening a copy made by the backup
/// command (marked <c>renew_epoch</c>) renews it, and <c>renew-epoch</c> does it by hand.
/// </summary>
internal static class SqliteEpoch
{
    private const string EpochName = "epoch";
    private const string RenewName = "renew_epoch";

    /// <summary>The database's epoch, made (or renewed, for a marked backup) first where needed. Runs on the writer connection at start-up.</summary>
    public static string Load(SqliteConnection connection, out bool renewed)
    {
        using var transaction = connection.BeginTransaction();
        var epoch = Get(connection, transaction, EpochName);
        renewed = epoch is not null && Get(connection, transaction, RenewName) is not null;
        if (epoch is null || renewed)
        {
            epoch = Epochs.New();
            Set(connection, transaction, EpochName, epoch);
            Delete(connection, transaction, RenewName);
        }

        transaction.Commit();
        return epoch;
    }

    /// <summary>Gives the database a new epoch now (the <c>renew-epoch</c> command); returns it.</summary>
    public static string Renew(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        var epoch = Epochs.New();
        Set(connection, transaction, EpochName, epoch);
        Delete(connection, transaction, RenewName);
        transaction.Commit();
        return epoch;
    }

    /// <summary>Marks a backup copy, so the server that is started on it once it is put back renews the epoch.</summary>
    public static void MarkForRenewal(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        Set(connection, transaction, RenewName, "1");
        transaction.Commit();
    }

    private static string? Get(SqliteConnection connection, SqliteTransaction transaction, string name)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() as string;
    }

    private static void Set(SqliteConnection connection, SqliteTransaction transaction, string name, string value)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO meta (name, value) VALUES ($name, $value) ON CONFLICT (name) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private static void Delete(SqliteConnection connection, SqliteTransaction transaction, string name)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        command.ExecuteNonQuery();
    }
}
