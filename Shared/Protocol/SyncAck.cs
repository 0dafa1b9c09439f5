using System.Text.Json.Serialization;
using MessagePack;

namespace NoteSync.Shared.Protocol;

/// <summary>
/// The server's answer to a push, and the frame of every live push (then without <see cref="RequestId"/>).
/// </summary>
[MessagePackObject]
public sealed class SyncAck
{
    /// <summary>Always <c>sync_ack</c>.</summary>
    [Key("type")]
    public string Type { get; set; } = FrameTypes.SyncAck;

    /// <summary>The space's cursor at the time of the reply, or the <c>seq</c> of the last change when <see cref="More"/>.</summary>
    [Key("ack_timestamp")]
    public long AckTimestamp { get; set; }

    /// <summary>
    /// Every entry changed since the push's <c>last_ack</c>, each once, in <c>seq</c> order; an answer to a
    /// push that lost writes puts the winners of those keys first (docs/protocol.md §4.3).
    /// </summary>
    [Key("changes")]
    public List<Change> Changes { get; set; } = [];

    /// <summary>The push's <c>request_id</c>; absent on live pushes.</summary>
    [Key("request_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestId { get; set; }

    /// <summary>True when more changes remain: pull again from <see cref="AckTimestamp"/>. Omitted when false.</summary>
    [Key("more")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool More { get; set; }

    /// <summary>The name of the space's history this frame's cursor belongs to; null while the space has none.</summary>
    [Key("epoch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Epoch { get; set; }

    /// <summary>
    /// True on the first frame of a reset: the device's cursor (and epoch) named a history the server no
    /// longer has, so this answer starts from 0 and its cursor replaces the device's. Omitted when false.
    /// </summary>
    [Key("reset")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Reset { get; set; }

    /// <summary>
    /// The server's limits on pushes: on the first answer of a WebSocket or hub connection and on every
    /// HTTP answer; absent elsewhere, and from servers that do not send them.
    /// </summary>
    [Key("limits")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SyncLimits? Limits { get; set; }
}
