using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>The answer to a frame the server will not apply. The connection stays open.</summary>
[MessagePackObject]
public sealed class ErrorFrame
{
    /// <summary>Always <c>error</c>.</summary>
    [Key("type")]
    public string Type { get; set; } = FrameTypes.Error;

    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    [Key("code")]
    public string Code { get; set; } = ErrorCodes.BadRequest;

    /// <summary>What was wrong, naming the field (<c>changes[2].timestamp must be ...</c>).</summary>
    [Key("message")]
    public string Message { get; set; } = "";

    /// <summary>The offending push's <c>request_id</c>, when it could be read.</summary>
    [Key("request_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestId { get; set; }

    /// <summary>With <c>rate_limited</c>: how many milliseconds to wait before the next try (docs/protocol.md §4.9).</summary>
    [Key("retry_after_ms")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RetryAfterMs { get; set; }
}
