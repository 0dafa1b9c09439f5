using System.Globalization;

namespace NoteSync.Client;

/// <summary>
/// Names one version of a note: the writer's Lamport timestamp and device id (docs/protocol.md §2). Written
/// <c>timestamp@device</c> (<see cref="ToString"/>, <see cref="TryParse"/>), the form the CLI shows and takes.
/// </summary>
/// <param name="Timestamp">The version's Lamport timestamp.</param>
/// <param name="DeviceId">The device that wrote it.</param>
public sealed record NoteVersionId(long Timestamp, string DeviceId)
{
    /// <summary><c>timestamp@device</c>.</summary>
    public override string ToString() => $"{Timestamp.ToString(CultureInfo.InvariantCulture)}@{DeviceId}";

    /// <summary>
    /// Reads <c>timestamp@device</c>: a positive decimal timestamp, then the device id, which may itself hold
    /// <c>@</c> (the first one separates). False for anything else.
    /// </summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NoteVersionId? id)
    {
        id = null;
        var at = text?.IndexOf('@', StringComparison.Ordinal) ?? -1;
        if (at <= 0 || at == text!.Length - 1
            || !long.TryParse(text.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
            || timestamp < 1)
        {
            return false;
        }

        id = new NoteVersionId(timestamp, text[(at + 1)..]);
        return true;
    }
}
