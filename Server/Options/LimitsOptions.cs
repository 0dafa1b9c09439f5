using System.ComponentModel.DataAnnotations;
using NoteSync.Server.Stores;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Options;

/// <summary>Limits on what a device may send and how far it may fall behind: <c>NoteSync:Limits:*</c>.</summary>
public sealed class LimitsOptions
{
    /// <summary>The largest incoming message (WebSocket frame, hub message, HTTP body). Larger: WebSocket close 1009. The default is 16 MiB.</summary>
    [Range(1024, 1024L * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The most changes in one push (<c>too_large</c> beyond). The default is 10,000.</summary>
    [Range(1, 1_000_000)]
    public int MaxChangesPerPush { get; set; } = 10_000;

    /// <summary>
    /// The longest key in UTF-8 bytes, <c>note:</c> included (<c>bad_request</c> beyond). docs/protocol.md §1
    /// allows at most 1,024, the default; a server may only lower it.
    /// </summary>
    [Range(6, ProtocolLimits.ProtocolMaxKeyBytes)]
    public int MaxKeyBytes { get; set; } = ProtocolLimits.ProtocolMaxKeyBytes;

    /// <summary>The largest note value in UTF-8 bytes (<c>too_large</c> beyond). The default is 1 MiB.</summary>
    [Range(1, 256 * 1024 * 1024)]
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The longest Markdown <c>POST /sync/render</c> renders for the page's preview, in UTF-8 bytes (413
    /// <c>too_large</c> beyond). Below <see cref="MaxValueBytes"/> on purpose: Markdig takes time that grows
    /// with the square of some inputs (64 KiB of unclosed <c>[a](</c> took 1.6 s of a core, 1 MiB would take
    /// minutes), and a note past it is rarely read as a preview. The default is 64 KiB.
    /// </summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxRenderBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How far above the space's clock (the cursor before the push) a change's <c>timestamp</c> may be;
    /// beyond it the push is refused with <c>bad_request</c> naming the change and the bound, nothing of it
    /// applied. The default, 1,000,000, is about three times what an honest device reaches (a year offline
    /// at a thousand edits a day leads by 365,000), and it takes one device pushing at the bound at
    /// <see cref="PushesPerSecond"/>'s default more than 100 days to carry a clock to 2^53-1.
    /// </summary>
    [Range(1_000, 1_000_000_000)]
    public long MaxClockLead { get; set; } = DefaultMaxClockLead;

    /// <summary>The default of <see cref="MaxClockLead"/>.</summary>
    public const long DefaultMaxClockLead = 1_000_000;

    /// <summary>
    /// The most writes a note may hold at its top timestamp: the winner, its conflict siblings, and
    /// equal values written there by other devices. A write that would join them beyond it is refused
    /// with <c>too_large</c>, nothing of its push applied; a write with a higher timestamp replaces them
    /// all and is always taken. Honest devices tie only when they write one note at the same moment, so
    /// the default, 8, is never reached by them, and it keeps one device from growing a note, and every
    /// frame that carries it to every device, without end.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxWritesPerNote { get; set; } = 8;

    /// <summary>
    /// The most bytes a note's writes at its top timestamp may hold together (the UTF-8 bytes of their
    /// values and device ids); beyond it, as for <see cref="MaxWritesPerNote"/>. It must be at least
    /// <see cref="MaxValueBytes"/>, and at most <c>NoteSync:Sync:MaxAckBytes</c> less 64 KiB, so a note
    /// always fits in one answer. The default is 4 MiB: four concurrent versions of the largest note.
    /// </summary>
    [Range(1, 1024L * 1024 * 1024)]
    public long MaxNoteBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>
    /// The most notes a space may hold: entries whose winner has a value, so a deleted note (a
    /// tombstone) does not count and deleting notes makes room. A push after which the space would hold
    /// more, and that adds notes, is refused whole with <c>quota_exceeded</c>; one that adds none is
    /// always taken, even over a quota lowered since. Checked by the store inside the commit. The
    /// default, 100,000, is far more than a person writes, and bounds what one space costs every
    /// device that reads it whole.
    /// </summary>
    [Range(1, 1_000_000_000)]
    public long MaxNotesPerSpace { get; set; } = 100_000;

    /// <summary>
    /// The most bytes a space may hold, counted alike by both stores (<c>SpaceQuotas.SizeOf</c>): for
    /// every entry, tombstones included so that writing and deleting cannot grow storage for free, the
    /// UTF-8 bytes of its key and of every tied write's value and device id, plus 64. Beyond it, as for
    /// <see cref="MaxNotesPerSpace"/>, for pushes that grow the count. The default is 1 GiB: ten
    /// thousand long notes, and a bound on the disk (or Redis memory) one space can take.
    /// </summary>
    [Range(1, 1L << 50)]
    public long MaxSpaceBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// How many frames may wait to be sent to one connection. Live pushes fill at most half of it;
    /// beyond that they wait in the log and go out as one frame once the device has read the queue
    /// down. Answers wait for room, and the device's next pushes with them; a device that reads
    /// nothing for <see cref="SendStallMs"/> is disconnected and catches up by <c>last_ack</c> when it
    /// returns. The default is 64.
    /// </summary>
    [Range(1, 100_000)]
    public int SendQueueFrames { get; set; } = 64;

    /// <summary>
    /// How long a device may read nothing while frames wait for it before it is disconnected (it
    /// stopped reading). A device that reads slowly is not cut: it gets fewer, larger frames. The
    /// default is 30,000 ms.
    /// </summary>
    [Range(100, 3_600_000)]
    public int SendStallMs { get; set; } = 30_000;

    /// <summary>
    /// The sustained pushes per second one device (its space and <c>device_id</c>, over all its
    /// connections and transports) may make. Beyond it and <see cref="PushBurst"/> a push is refused with
    /// <c>rate_limited</c> and a retry-after, nothing of it applied, and the connection stays. The default,
    /// 1,000, is above what one device syncing by hand or in bulk needs; lower it for hostile networks.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PushesPerSecond { get; set; } = 1_000;

    /// <summary>How many pushes a device may make at once before <see cref="PushesPerSecond"/> applies. The default is 5,000.</summary>
    [Range(1, 1_000_000)]
    public int PushBurst { get; set; } = 5_000;

    /// <summary>
    /// With auth on: the sustained pushes per second one token may make over every device id it is used
    /// with (a token without a <c>device_id</c> claim may name any), on top of each device's own budget;
    /// beyond it and <see cref="PushBurstPerToken"/>, <c>rate_limited</c> as for a device. The default is
    /// <see cref="PushesPerSecond"/>'s, 1,000: one device's worth, shared by the devices of one token.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PushesPerSecondPerToken { get; set; } = 1_000;

    /// <summary>How many pushes a token may make at once before <see cref="PushesPerSecondPerToken"/> applies. The default is 5,000.</summary>
    [Range(1, 1_000_000)]
    public int PushBurstPerToken { get; set; } = 5_000;

    /// <summary>
    /// The sustained bytes per second a node sends for one space: answers to pulls, catch-up pages,
    /// answers to pushes over HTTP or from before their connection's first whole answer, and every
    /// live push once for each device it goes to (other answers to writes are free). A
    /// space past it and <see cref="PullBytesBurst"/> has every push refused with <c>rate_limited</c>
    /// and a retry-after, and catch-up paused, until the refill pays it off; other spaces are not
    /// slowed. The default, 16 MiB/s after the burst, brings a device a whole 1 GiB space in about a
    /// minute, and keeps a looping full pull or a note re-sent whole to every device from taking a
    /// node's bandwidth.
    /// </summary>
    [Range(1024, 1L << 40)]
    public long PullBytesPerSecond { get; set; } = 16L * 1024 * 1024;

    /// <summary>How many bytes a space may be served at once before <see cref="PullBytesPerSecond"/> applies. The default is 128 MiB.</summary>
    [Range(1024, 1L << 40)]
    public long PullBytesBurst { get; set; } = 128L * 1024 * 1024;

    /// <summary>
    /// How many page reads (answers, pulls, catch-up pages read from the store) of one space a node
    /// makes at once; further reads of that space wait their turn, and reads of other spaces never wait
    /// for them. So one space, however many connections it opens, holds at most this many threads and
    /// store readers. The default, 1, is what one device's catch-up needs.
    /// </summary>
    [Range(1, 64)]
    public int StoreReadsPerSpace { get; set; } = 1;

    /// <summary>
    /// With auth on: the WebSocket upgrades (on <c>/ws/sync</c> and <c>/hubs/sync</c>, and hub
    /// negotiations) one token may make per minute; beyond it HTTP 429 with <c>Retry-After</c>. Also the
    /// burst. The default is 600.
    /// </summary>
    [Range(1, 1_000_000)]
    public int UpgradesPerMinute { get; set; } = 600;

    /// <summary>
    /// With auth off: the same, per client address (every device of one address shares it, hence the
    /// higher default, 6,000). With auth on, addresses are not limited: many devices share an address
    /// behind NAT, and each has its own token.
    /// </summary>
    [Range(1, 10_000_000)]
    public int UpgradesPerMinutePerAddress { get; set; } = 6_000;

    /// <summary>
    /// How long a client may take to send a request's headers (so a WebSocket handshake); a slower
    /// one (slowloris) is closed. Kestrel's <c>RequestHeadersTimeout</c>; on the hub also how long a
    /// connection may take to send SignalR's handshake message (<c>HubOptions.HandshakeTimeout</c>).
    /// The default is 10 s.
    /// </summary>
    [Range(1, 600)]
    public int HandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// How often the server pings an open connection: a raw WebSocket with WebSocket pings
    /// (<c>WebSocketOptions.KeepAliveInterval</c>), a hub connection with SignalR pings
    /// (<c>HubOptions.KeepAliveInterval</c>; keep it well below the clients' server timeout, 30 s in
    /// SignalR's clients). The default is 15 s.
    /// </summary>
    [Range(1, 3600)]
    public int PingIntervalSeconds { get; set; } = 15;

    /// <summary>
    /// Raw WebSocket: how long after a ping a connection that has not answered it (a pong) is dropped
    /// (<c>WebSocketOptions.KeepAliveTimeout</c>), so a silent one goes after at most
    /// <see cref="PingIntervalSeconds"/> plus this. Hub: how long a connection may send nothing, not
    /// even a SignalR ping, before it is closed (<c>HubOptions.ClientTimeoutInterval</c>); keep it at
    /// least twice the clients' keep-alive interval (15 s in SignalR's clients). The default is 30 s.
    /// </summary>
    [Range(1, 3600)]
    public int IdleTimeoutSeconds { get; set; } = 30;

    /// <summary>The limits on how far one commit may move a space's clock, as the stores take them.</summary>
    internal ClockLimits ToClockLimits() => new(MaxClockLead, MaxChangesPerPush);

    /// <summary>The bounds on a note's tied writes, as the stores take them.</summary>
    internal NoteLimits ToNoteLimits() => new(MaxWritesPerNote, MaxNoteBytes);

    /// <summary>The quotas of a space, as the stores take them.</summary>
    internal SpaceQuotas ToSpaceQuotas() => new(MaxNotesPerSpace, MaxSpaceBytes);

    /// <summary>The limits as answers tell them to clients (the <c>limits</c> of a <c>sync_ack</c>, docs/protocol.md §4).</summary>
    public SyncLimits ToSyncLimits() => new()
    {
        MaxMessageBytes = MaxMessageBytes,
        MaxChangesPerPush = MaxChangesPerPush,
        MaxKeyBytes = MaxKeyBytes,
        MaxValueBytes = MaxValueBytes,
        MaxNoteBytes = MaxNoteBytes,
    };

    /// <summary>The limits as the protocol validator takes them.</summary>
    public ProtocolLimits ToProtocolLimits() => new() { MaxChangesPerPush = MaxChangesPerPush, MaxKeyBytes = MaxKeyBytes, MaxValueBytes = MaxValueBytes };
}
