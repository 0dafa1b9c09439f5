using System.Security.Cryptography;

namespace NoteSync.Server.Stores;

/// <summary>
/// Names of a space's history (docs/protocol.md, Epochs and resets). Random, so a history a store
/// starts after losing some can never be mistaken for the one it lost, whatever the clock says.
/// </summary>
internal static class Epochs
{
    /// <summary>A new epoch: 16 random bytes as 32 lower-case hex characters.</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
