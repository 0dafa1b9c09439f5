namespace NoteSync.Shared.Protocol;

/// <summary>
/// The limits a push is checked against. The fixed ones come from CONTRACT §1; the others are
/// server settings (<c>NoteSync:Limits:*</c>) that clients may mirror to fail early.
/// </summary>
public sealed record ProtocolLimits
{
    /// <summary>The greatest timestamp: 2^53-1, the largest integer JavaScript holds exactly.</summary>
    public const long MaxTimestamp = (1L << 53) - 1;

    /// <summary>The greatest key length in UTF-8 bytes, <c>note:</c> included.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>The greatest device id length in characters.</summary>
    public const int MaxDeviceIdLength = 256;

    /// <summary>Every key starts with this.</summary>
    public const string KeyPrefix = "note:";

    /// <summary>The most changes one push may carry. The default is 10,000.</summary>
    public int MaxChangesPerPush { get; init; } = 10_000;

    /// <summary>The largest value in UTF-8 bytes. The default is 1 MiB.</summary>
    public int MaxValueBytes { get; init; } = 1024 * 1024;

    /// <summary>The defaults.</summary>
    public static ProtocolLimits Default { get; } = new();
}
