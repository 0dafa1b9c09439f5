using System.Security.Cryptography;
using System.Text;

namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisSyncStore"/> (<c>Scripts/apply.lua</c> with <c>common.lua</c> and <c>history.lua</c>,
/// <c>Scripts/read-since.lua</c>, and <c>Scripts/read-history.lua</c> with the same two). Each is sent once (EVAL, which also caches it on
/// the node that owns the space's slot) and from then on called by its SHA1 (EVALSHA); see
/// <see cref="RedisSyncStore"/> for the NOSCRIPT fallback. Keys: <see cref="RedisKeys"/>.
/// <para>
/// <b>Entry format</b> (the values of the <c>ns:{space}:e</c> hash), written by <see cref="Apply"/> only. Every
/// string is <c>&lt;UTF-8 byte length&gt;:&lt;bytes&gt;</c> and a null value (a tombstone) is <c>~</c>, so null and ""
/// differ and no value can break parsing; every number is decimal and ends at a comma. The leading number is
/// the version, and a reader refuses one it does not know rather than misread it.
/// <list type="bullet">
/// <item>Version 1, a state that writes without <c>base</c> leave: every head at the one timestamp t, every
/// version below t replaced (the floor is t) and nothing named:
/// <code>1,&lt;seq&gt;,&lt;t&gt;,&lt;device_id&gt;&lt;value&gt;&lt;device_id&gt;&lt;value&gt;...</code>
/// one (device_id, value) pair per head, best first (the winner first).</item>
/// <item>Version 2, any other state (heads of several timestamps, or versions that a base replaced):
/// <code>2,&lt;seq&gt;,&lt;floor&gt;,&lt;n&gt;,&lt;timestamp&gt;,&lt;device_id&gt;...&lt;timestamp&gt;,&lt;device_id&gt;&lt;value&gt;...</code>
/// the floor of <see cref="NoteSync.Shared.Crdt.ReplacedVersions"/>; then n bytes of its named versions, one
/// <c>&lt;timestamp&gt;,&lt;device_id&gt;</c> per device (the highest timestamp a base named for it), sorted by
/// device id in the order below, so equal states are stored as equal bytes; then one <c>&lt;timestamp&gt;,&lt;device_id&gt;&lt;value&gt;</c> per head, best first
/// (by timestamp, then as version 1 orders them). n is a byte count, not a count of names, so
/// <see cref="ReadSince"/> can leave the named versions, which no frame carries, out of its size bound
/// without parsing them.</item>
/// </list>
/// The script writes version 1 whenever the state fits it, so a space that never saw a base stays
/// readable by servers that know version 1 only (a rolling upgrade, or a rollback). An entry of either
/// version that changes is written afresh, in the version its new state needs.
/// </para>
/// <para>
/// <b>Order.</b> docs/protocol.md §2 picks the winner by ordinal comparison of .NET strings, that is UTF-16 code
/// units. Redis holds UTF-8, whose byte order is code point order; the two differ only where a character
/// above U+FFFF (a surrogate pair, 0xD800.. in UTF-16; lead byte F0-F4 in UTF-8) meets one in
/// U+E000-U+FFFF (lead byte EE or EF). <c>cmp16</c> compares bytes and swaps exactly that case. (Lua's own
/// <c>&lt;</c> on strings is no use: it calls strcoll, and Redis sets the collation locale from the
/// environment.)
/// </para>
/// </summary>
internal static class RedisScripts
{
    /// <summary>The error a push gets when a change would need a seq above 2^53-1; nothing of the push is applied.</summary>
    public const string ClockOverflowError = "NOTESYNC_CLOCK_OVERFLOW";

    private static readonly string Common = Load("common.lua");

    private static readonly string History = Load("history.lua");

    /// <summary>The error a push gets when a change leads the clock by more than allowed; followed by the change's index and the clock.</summary>
    public const string ClockLeadError = "NOTESYNC_CLOCK_LEAD";

    /// <summary>The error a push gets when a change would give its note more heads than allowed; followed by the change's index.</summary>
    public const string NoteWritesError = "NOTESYNC_NOTE_WRITES";

    /// <summary>The error a push gets when a change would make its note's heads too large; followed by the change's index and the size.</summary>
    public const string NoteBytesError = "NOTESYNC_NOTE_BYTES";

    /// <summary>The error a push gets when it would give its space more notes than allowed; followed by the count it would reach.</summary>
    public const string QuotaNotesError = "NOTESYNC_QUOTA_NOTES";

    /// <summary>The error a push gets when it would give its space more bytes than allowed; followed by the size it would reach.</summary>
    public const string QuotaBytesError = "NOTESYNC_QUOTA_BYTES";

    /// <summary>
    /// Merges a whole push, atomically. KEYS: clock, entries, log, primary, epoch, usage, hist, hk, hv, hold, trash, hd (<see cref="RedisKeys.For"/>). ARGV: the most a change may lead
    /// the clock (<see cref="ClockLimits.MaxLead"/>), the failover margin (<see cref="ClockLimits.FailoverMargin"/>),
    /// '1' to write even when nothing changes (so a WAIT after the script covers the state its answer
    /// came from) or '0', a new epoch to take if the clock is fenced, the most heads a note may hold and
    /// their most bytes (<see cref="NoteLimits"/>, counted as <see cref="NoteLimits.SizeOf"/>
    /// counts), the most notes and bytes the space may hold (<see cref="SpaceQuotas"/>, an entry counted
    /// as <see cref="SpaceQuotas.SizeOf"/> counts it), the three bounds of <see cref="HistoryLimits"/>
    /// (versions per note, the age in milliseconds, bytes per space), then six per write: key, timestamp,
    /// device_id, '1' or '0' (has a value or is a tombstone), value ('' for a tombstone), and its base:
    /// <c>~</c> for a write without one, else one <c>&lt;timestamp&gt;,&lt;device_id&gt;</c> per named version
    /// as in the entry format (so the empty base is '', which merges otherwise than no base).
    /// The merge is <see cref="NoteSync.Shared.Crdt.LwwMerge"/>'s, outcomes included: a write that changes
    /// its key's state gets a seq; one that does not reports the key's state as superseded unless that
    /// state is exactly the write. The note bounds hold only where a write joins heads, as
    /// <see cref="NoteLimits.Check"/> is used.
    /// The usage hash moves by each changed key's final size less its size before the push; a space
    /// written before the hash existed has it counted from its entries once, at its next change (one
    /// HGET per entry, all inside this script: Redis answers nothing else meanwhile).
    /// At a push's first change, the primary's replication id (INFO replication) is compared with the one
    /// stored in the primary key: when they differ, or none is stored, the clock first jumps by the
    /// margin, so no seq an old primary gave out unreplicated is handed out again, and the space takes the
    /// new epoch: its history may have lost what devices saw.
    /// Returns <c>{previous C, new C, epoch ('' for none), n, key1, entry1, ..., keyN, entryN, skey1, sentry1, ...}</c>: the n
    /// changed keys in seq order with their final entries, then the superseded keys with theirs.
    /// Every check runs before the first write, so an error applies nothing. Every write that changed its
    /// key is recorded in the key's history, stamped with Redis's <c>TIME</c> (so every node agrees), and
    /// retention runs in the same script (History format below).
    /// </summary>
    public static readonly string Apply = string.Join('\n', Common, History, Load("apply.lua"));

    /// <summary>
    /// One page of "changes since", read-only, so the clock and the rows come from one state. KEYS: clock,
    /// entries, log, primary, epoch, usage. ARGV: afterSeq, maxChanges, maxBytes. Returns <c>{C, more, epoch ('' for none), key1, entry1, ...}</c>.
    /// The script bounds the page by a cheap lower bound of each entry's wire size (its key and stored
    /// bytes less a version 2 entry's named versions, which no frame carries: the rest of the stored
    /// framing is never larger than the 100 bytes per head and per entry that
    /// <see cref="StoredEntry.EstimatedWireBytes"/> adds), so it never drops an entry the exact count would
    /// keep; the store then cuts the page exactly.
    /// </summary>
    public static readonly string ReadSince = Load("read-since.lua");

    /// <summary>
    /// A note's history or the trash, read-only, from one state. KEYS: as <see cref="Apply"/>'s. ARGV:
    /// <c>h</c> and a key: <c>{entry, records}</c>; <c>v</c>, a key, a timestamp and a device id:
    /// <c>{entry, records, text chain}</c> of that version (<see cref="RedisTextChain"/>); <c>t</c> and the most notes:
    /// per note of the trash, newest deletion first, <c>{key, entry, records, text chain of its newest text version}</c>.
    /// A head's text is in its entry, never in <c>hv</c> or <c>hd</c>; the store reads it from the entry.
    /// <para>
    /// <b>History format.</b> <c>ns:{space}:hk</c> maps a key to its records, oldest first. The
    /// answers above give them in layout 1, each
    /// <c>&lt;order&gt;,&lt;committed_at&gt;,&lt;timestamp&gt;,&lt;bytes&gt;,</c> then <c>t</c> (text) or <c>d</c> (delete),
    /// the device id as a token and the base: <c>~</c> for none, else a token holding the base as
    /// <see cref="Apply"/> takes it. The store keeps them in layout 2 (<c>2|</c>, then numbers as
    /// differences from the record before, a repeated device or a base naming the record before in one
    /// character, and a replaced version's text of up to 1 KiB, whole or as a splice, in its record;
    /// <c>Scripts/history.lua</c>); layout 1, which stores before wrote, is still read. The order is the
    /// space's count of versions (<c>n</c> in <c>ns:{space}:hist</c>, beside <c>bytes</c>, the history's
    /// cost), so it is the commit order. A longer text of a non-head version is in <c>ns:{space}:hv</c>
    /// under its order, or in <c>ns:{space}:hd</c> as a splice of a later version's text
    /// (<see cref="RedisKeys"/>); <c>ns:{space}:hold</c> holds
    /// each key with a non-head version, scored by the order of its oldest (members
    /// <c>&lt;order&gt;,&lt;key&gt;</c>, one per version, are what earlier stores wrote: still read, and removed
    /// with their versions); <c>ns:{space}:trash</c> holds
    /// each key whose winner is a recorded delete, scored by the delete's order.
    /// </para>
    /// </summary>
    public static readonly string ReadHistory = string.Join('\n', Common, History, Load("read-history.lua"));

    /// <summary>The SHA1 of <see cref="ReadHistory"/>.</summary>
    public static byte[] ReadHistorySha1 { get; } = Sha1(ReadHistory);

    /// <summary>The SHA1 of <see cref="Apply"/>, as EVALSHA takes it.</summary>
    public static byte[] ApplySha1 { get; } = Sha1(Apply);

    /// <summary>The SHA1 of <see cref="ReadSince"/>.</summary>
    public static byte[] ReadSinceSha1 { get; } = Sha1(ReadSince);

    // The scripts are Lua files beside this one, embedded in the assembly (NoteSync.Server.csproj), so
    // they read and diff as Lua; a build without them fails here, at the first use of a script.
    private static string Load(string name)
    {
        var resource = "NoteSync.Server.Stores.Redis.Scripts." + name;
        using var stream = typeof(RedisScripts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the Redis script {resource} is not embedded in the server assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = reader.ReadToEnd().ReplaceLineEndings("\n");
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    // SHA1 is what Redis names scripts by; it is an identifier here, not a security measure.
#pragma warning disable CA5350
    private static byte[] Sha1(string script) => SHA1.HashData(Encoding.UTF8.GetBytes(script));
#pragma warning restore CA5350
}
