using System.Text;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// The semantic checks of a push (docs/protocol.md §1 and §4), common to every transport. A push is atomic,
/// so the first invalid change refuses the whole push.
/// </summary>
public static class PushValidator
{
    /// <summary>
    /// Checks <paramref name="push"/> from the device <paramref name="deviceId"/>, and fills in each
    /// change's missing <c>device_id</c>. Returns null when the push may be applied.
    /// </summary>
    public static ProtocolError? Validate(SyncPush push, string deviceId, ProtocolLimits limits)
    {
        ArgumentNullException.ThrowIfNull(push);
        ArgumentNullException.ThrowIfNull(limits);

        if (push.Type is not null && push.Type != FrameTypes.SyncPush)
        {
            return ProtocolError.BadRequest(PushReadErrors.UnknownType(push.Type));
        }

        if (push.LastAck is < 0 or > ProtocolLimits.MaxTimestamp)
        {
            return ProtocolError.BadRequest("last_ack must be an integer in 0..2^53-1");
        }

        if (push.Epoch is { Length: 0 or > ProtocolLimits.MaxEpochLength })
        {
            return ProtocolError.BadRequest($"epoch must be 1 to {ProtocolLimits.MaxEpochLength} characters");
        }

        if (push.Changes is null)
        {
            return ProtocolError.BadRequest("changes is required");
        }

        if (push.Changes.Count > limits.MaxChangesPerPush)
        {
            return ProtocolError.TooLarge($"changes holds {push.Changes.Count} changes; at most {limits.MaxChangesPerPush} are allowed per push");
        }

        for (var i = 0; i < push.Changes.Count; i++)
        {
            var error = ValidateChange(push.Changes[i], i, deviceId, limits);
            if (error is not null)
            {
                return error;
            }
        }

        foreach (var change in push.Changes)
        {
            change.DeviceId ??= deviceId;
            // A push states writes; conflicts, heads and what they replaced are the server's to compute.
            change.Conflict = false;
            change.Conflicts = null;
            change.Also = null;
            change.Replaced = null;
        }

        return null;
    }

    private static ProtocolError? ValidateChange(Change? change, int index, string deviceId, ProtocolLimits limits)
    {
        if (change is null)
        {
            return ProtocolError.BadRequest($"changes[{index}] must be an object");
        }

        if (KeyError(change.Key, limits.MaxKeyBytes) is { } keyError)
        {
            return ProtocolError.BadRequest($"changes[{index}].key {keyError}");
        }

        if (change.Timestamp is < 1 or > ProtocolLimits.MaxTimestamp)
        {
            return ProtocolError.BadRequest($"changes[{index}].timestamp must be an integer in 1..2^53-1");
        }

        if (change.DeviceId is not null && change.DeviceId != deviceId)
        {
            return ProtocolError.BadRequest($"changes[{index}].device_id must equal the connection's device_id '{deviceId}' or be left out");
        }

        if (change.Base is { } @base && BaseError(@base, change.Timestamp, index) is { } baseError)
        {
            return baseError;
        }

        if (change.Value is not null)
        {
            if (!IsWellFormedUtf16(change.Value))
            {
                return ProtocolError.BadRequest($"changes[{index}].value must be valid Unicode text");
            }

            // Cheap upper bound first: most values are far below the limit.
            if (change.Value.Length * 3 > limits.MaxValueBytes && Encoding.UTF8.GetByteCount(change.Value) > limits.MaxValueBytes)
            {
                return ProtocolError.TooLarge($"changes[{index}].value must be at most {limits.MaxValueBytes} UTF-8 bytes");
            }
        }

        return null;
    }

    // A base names versions the device held when it wrote, and its clock had passed them all (docs/protocol.md §1.6).
    private static ProtocolError? BaseError(List<VersionRef> @base, long timestamp, int index)
    {
        if (@base.Count > ProtocolLimits.MaxBaseVersions)
        {
            return ProtocolError.BadRequest(PushReadErrors.BaseTooLong(index));
        }

        for (var j = 0; j < @base.Count; j++)
        {
            var version = @base[j];
            if (version is null)
            {
                return ProtocolError.BadRequest(PushReadErrors.BaseItemMustBeAnObject(index, j));
            }

            if (version.Timestamp < 1 || version.Timestamp >= timestamp)
            {
                return ProtocolError.BadRequest($"changes[{index}].base[{j}].timestamp must be at least 1 and below the change's timestamp {timestamp}");
            }

            if (DeviceIds.Check(version.DeviceId) is { } problem)
            {
                return ProtocolError.BadRequest($"changes[{index}].base[{j}].{problem}");
            }
        }

        return null;
    }

    /// <summary>Null when <paramref name="key"/> is a valid key, else the rest of a sentence saying why not.</summary>
    public static string? KeyError(string? key, int maxKeyBytes = ProtocolLimits.ProtocolMaxKeyBytes)
    {
        if (key is null)
        {
            return "is required";
        }

        if (!key.StartsWith(ProtocolLimits.KeyPrefix, StringComparison.Ordinal) || key.Length == ProtocolLimits.KeyPrefix.Length)
        {
            return "must be 'note:<path>' with a non-empty path";
        }

        if (!IsWellFormedUtf16(key))
        {
            return "must be valid Unicode text";
        }

        if (key.Length > maxKeyBytes / 3 && Encoding.UTF8.GetByteCount(key) > maxKeyBytes)
        {
            return $"must be at most {maxKeyBytes} UTF-8 bytes";
        }

        return KeyCharacters.Problem(key);
    }

    // A lone surrogate cannot be encoded as UTF-8, so it would be silently replaced on the way to disk.
    private static bool IsWellFormedUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
