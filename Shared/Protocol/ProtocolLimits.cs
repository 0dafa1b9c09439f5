namespace NoteSync.Shared.Protocol;

/// <summary>
/// The limits a push is checked against. The fixed ones come from docs/protocol.md §1; the others are
/// server settings (<c>NoteSync:Limits:*</c>) that clients may mirror to fail early.
/// </summary>
public sealed record ProtocolLimits
{
    /// <summary>The greatest timestamp: 2^53-1, the largest integer JavaScript holds exactly.</summary>
    public const long MaxTimestamp = (1L << 53) - 1;

    /// <summary>The greatest key length in UTF-8 bytes that docs/protocol.md §1 allows, <c>note:</c> included.</summary>
    public const int ProtocolMaxKeyBytes = 1024;

    /// <summary>The greatest device id length in characters.</summary>
    public const int MaxDeviceIdLength = 256;

    /// <summary>The longest <c>epoch</c> a push may carry back, in characters.</summary>
    public const int MaxEpochLength = 64;

    /// <summary>
    /// The most versions a change's <c>base</c> may name (docs/protocol.md §4.2). A device names the heads it
    /// holds, which the server bounds far lower (<c>MaxWritesPerNote</c>); the margin is for a device that
    /// joined states from a server with a higher bound.
    /// </summary>
    public const int MaxBaseVersions = 64;

    /// <summary>Every key starts with this.</summary>
    public const string KeyPrefix = "note:";

    /// <summary>The most changes one push may carry. The default is 10,000.</summary>
    public int MaxChangesPerPush { get; init; } = 10_000;

    /// <summary>The longest key in UTF-8 bytes, <c>note:</c> included: at most <see cref="ProtocolMaxKeyBytes"/>, the default.</summary>
    public int MaxKeyBytes { get; init; } = ProtocolMaxKeyBytes;

    /// <summary>The largest value in UTF-8 bytes. The default is 1 MiB.</summary>
    public int MaxValueBytes { get; init; } = 1024 * 1024;

    /// <summary>The defaults.</summary>
    public static ProtocolLimits Default { get; } = new();
}
