using System.ComponentModel.DataAnnotations;
using System.Text;

namespace NoteSync.Server.Options;

/// <summary>
/// JWT bearer auth: <c>NoteSync:Auth:*</c> (docs/security.md). Off by default: every device
/// is then in the one space <c>default</c>.
/// </summary>
public sealed class AuthOptions
{
    /// <summary>The configuration key of <see cref="Enabled"/>, read before the container is built.</summary>
    public const string EnabledKey = $"{NoteSyncOptions.Section}:Auth:Enabled";

    /// <summary>The shortest signing key accepted, in UTF-8 bytes (HS256 wants at least its 256-bit output).</summary>
    public const int MinSigningKeyBytes = 32;

    /// <summary>The most clock skew allowed on <c>exp</c>/<c>nbf</c>, in seconds.</summary>
    public const int MaxClockSkewSeconds = 30;

    /// <summary>Require a JWT on every sync endpoint. The default is false.</summary>
    public bool Enabled { get; set; }

    /// <summary>The HS256 key tokens are signed and checked with (UTF-8, at least 32 bytes). Required when <see cref="Enabled"/>.</summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Older signing keys still accepted for validation (never used to sign), for a key rotation without
    /// cutting off tokens already handed out. The default is none.
    /// </summary>
    public List<string> PreviousSigningKeys { get; set; } = [];

    /// <summary>When set, tokens must carry this <c>iss</c>, and the <c>token</c> command writes it. The default is none.</summary>
    public string? Issuer { get; set; }

    /// <summary>When set, tokens must carry this <c>aud</c>, and the <c>token</c> command writes it. The default is none.</summary>
    public string? Audience { get; set; }

    /// <summary>The clock skew allowed when checking <c>exp</c> and <c>nbf</c>, in seconds. The default is 30 (also the most).</summary>
    [Range(0, MaxClockSkewSeconds)]
    public int ClockSkewSeconds { get; set; } = MaxClockSkewSeconds;

    /// <summary>What is wrong with the keys, naming the setting and never the key; empty when they can be used.</summary>
    public IEnumerable<string> CheckSigningKeys()
    {
        if (string.IsNullOrEmpty(SigningKey))
        {
            yield return $"NoteSync:Auth:SigningKey is required with NoteSync:Auth:Enabled=true and by the token command (at least {MinSigningKeyBytes} bytes of UTF-8; env NoteSync__Auth__SigningKey)";
        }
        else if (Encoding.UTF8.GetByteCount(SigningKey) < MinSigningKeyBytes)
        {
            yield return $"NoteSync:Auth:SigningKey must be at least {MinSigningKeyBytes} bytes of UTF-8 (it has {Encoding.UTF8.GetByteCount(SigningKey)})";
        }

        for (var i = 0; i < PreviousSigningKeys.Count; i++)
        {
            if (Encoding.UTF8.GetByteCount(PreviousSigningKeys[i] ?? string.Empty) < MinSigningKeyBytes)
            {
                yield return $"NoteSync:Auth:PreviousSigningKeys:{i} must be at least {MinSigningKeyBytes} bytes of UTF-8";
            }
        }
    }
}
