using System.Security.Cryptography;
using System.Text;

namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// The two Lua scripts of <see cref="RedisSyncStore"/>. Each is sent once (EVAL, which also caches it on
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

    private const string Common = """
        local function cmp16(a, b)
          if a == b then return 0 end
          local la, lb = #a, #b
          local n = la < lb and la or lb
          local i = 1
          while i + 63 <= n and string.sub(a, i, i + 63) == string.sub(b, i, i + 63) do i = i + 64 end
          while i <= n do
            local x, y = string.byte(a, i), string.byte(b, i)
            if x ~= y then
              if x >= 240 and (y == 238 or y == 239) then return -1 end
              if y >= 240 and (x == 238 or x == 239) then return 1 end
              if x < y then return -1 end
              return 1
            end
            i = i + 1
          end
          if la < lb then return -1 end
          return 1
        end

        """;

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
    /// Merges a whole push, atomically. KEYS: clock, entries, log, primary, epoch, usage. ARGV: the most a change may lead
    /// the clock (<see cref="ClockLimits.MaxLead"/>), the failover margin (<see cref="ClockLimits.FailoverMargin"/>),
    /// '1' to write even when nothing changes (so a WAIT after the script covers the state its answer
    /// came from) or '0', a new epoch to take if the clock is fenced, the most heads a note may hold and
    /// their most bytes (<see cref="NoteLimits"/>, counted as <see cref="NoteLimits.SizeOf"/>
    /// counts), the most notes and bytes the space may hold (<see cref="SpaceQuotas"/>, an entry counted
    /// as <see cref="SpaceQuotas.SizeOf"/> counts it), then six per write: key, timestamp,
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
    /// Every check runs before the first write, so an error applies nothing.
    /// </summary>
    public const string Apply = Common + """
        local MAX = 9007199254740991
        local MAX_LEAD = tonumber(ARGV[1])
        local FAILOVER_MARGIN = tonumber(ARGV[2])
        local TOUCH = ARGV[3] == '1'
        local NEW_EPOCH = ARGV[4]
        local MAX_WRITES = tonumber(ARGV[5])
        local MAX_NOTE_BYTES = tonumber(ARGV[6])
        local MAX_NOTES = tonumber(ARGV[7])
        local MAX_SPACE_BYTES = tonumber(ARGV[8])
        local FIRST = 9
        local PER_WRITE = 6
        local ENTRY_OVERHEAD = 64
        local function fmt(n) return string.format('%.0f', n) end
        local function token(v)
          if v == false then return '~' end
          return #v .. ':' .. v
        end
        local function readToken(s, pos)
          if string.byte(s, pos) == 126 then return false, pos + 1 end
          local colon = string.find(s, ':', pos, true)
          local len = tonumber(string.sub(s, pos, colon - 1))
          return string.sub(s, colon + 1, colon + len), colon + len + 1
        end
        local function readNumber(s, pos)
          local comma = string.find(s, ',', pos, true)
          return tonumber(string.sub(s, pos, comma - 1)), comma + 1
        end
        -- Version ids {device, timestamp} from '<timestamp>,<device_id>' pairs, pos to last.
        local function readIds(s, pos, last)
          local ids = {}
          while pos <= last do
            local ts, d
            ts, pos = readNumber(s, pos)
            d, pos = readToken(s, pos)
            ids[#ids + 1] = {d, ts}
          end
          return ids
        end
        -- A state: heads {timestamp, device, value} best first, the floor, and the named versions
        -- {device, timestamp} sorted by device (ReplacedVersions); raw is the stored entry while unchanged.
        local function decode(s)
          local c1 = string.find(s, ',', 1, true)
          local version = string.sub(s, 1, c1 - 1)
          if version ~= '1' and version ~= '2' then error('NOTESYNC_FORMAT unknown entry format ' .. version) end
          local pos = string.find(s, ',', c1 + 1, true) + 1
          local writes = {}
          if version == '1' then
            local ts
            ts, pos = readNumber(s, pos)
            while pos <= #s do
              local d, v
              d, pos = readToken(s, pos)
              v, pos = readToken(s, pos)
              writes[#writes + 1] = {ts, d, v}
            end
            return {writes = writes, floor = ts, named = {}, raw = s}
          end
          local floor, n
          floor, pos = readNumber(s, pos)
          n, pos = readNumber(s, pos)
          local named = readIds(s, pos, pos + n - 1)
          pos = pos + n
          while pos <= #s do
            local ts, d, v
            ts, pos = readNumber(s, pos)
            d, pos = readToken(s, pos)
            v, pos = readToken(s, pos)
            writes[#writes + 1] = {ts, d, v}
          end
          return {writes = writes, floor = floor, named = named, raw = s}
        end
        local function encode(seq, state)
          local ws = state.writes
          local top = ws[1][1]
          if state.floor == top and #state.named == 0 and ws[#ws][1] == top then
            local parts = {'1,', fmt(seq), ',', fmt(top), ','}
            for _, w in ipairs(ws) do
              parts[#parts + 1] = token(w[2])
              parts[#parts + 1] = token(w[3])
            end
            return table.concat(parts)
          end
          local named = {}
          for _, id in ipairs(state.named) do
            named[#named + 1] = fmt(id[2]) .. ',' .. token(id[1])
          end
          named = table.concat(named)
          local parts = {'2,', fmt(seq), ',', fmt(state.floor), ',', fmt(#named), ',', named}
          for _, w in ipairs(ws) do
            parts[#parts + 1] = fmt(w[1])
            parts[#parts + 1] = ','
            parts[#parts + 1] = token(w[2])
            parts[#parts + 1] = token(w[3])
          end
          return table.concat(parts)
        end
        -- SpaceQuotas.UsageOf: (1 when the winner has a value, the entry's size); nothing for no entry.
        local function usageOf(key, state)
          if state == false then return 0, 0 end
          local bytes = #key + ENTRY_OVERHEAD
          for _, w in ipairs(state.writes) do bytes = bytes + #w[2] + (w[3] and #w[3] or 0) end
          return (state.writes[1][3] and 1 or 0), bytes
        end
        local function countUsage()
          local notes, bytes = 0, 0
          for _, k in ipairs(redis.call('HKEYS', KEYS[2])) do
            local n, b = usageOf(k, decode(redis.call('HGET', KEYS[2], k)))
            notes, bytes = notes + n, bytes + b
          end
          return notes, bytes
        end
        -- Write.CompareHeads: positive when head a is the better one.
        local function cmpHead(a, b)
          if a[1] ~= b[1] then return a[1] > b[1] and 1 or -1 end
          local c = cmp16(a[2], b[2])
          if c ~= 0 then return c end
          if a[3] == false or b[3] == false then
            return (a[3] == false and 0 or 1) - (b[3] == false and 0 or 1)
          end
          return cmp16(a[3], b[3])
        end
        -- Where device d is in a sorted named list: its index and true, or where it would go and false.
        local function findNamed(named, d)
          local lo, hi = 1, #named
          while lo <= hi do
            local mid = math.floor((lo + hi) / 2)
            local c = cmp16(named[mid][1], d)
            if c == 0 then return mid, true end
            if c < 0 then lo = mid + 1 else hi = mid - 1 end
          end
          return lo, false
        end
        -- ReplacedVersions.Covers
        local function covers(floor, named, ts, d)
          if ts < floor then return true end
          local i, found = findNamed(named, d)
          return found and named[i][2] >= ts
        end
        -- ReplacedVersions.With(0, ids): the named list with ids added (a copy; the old one may be a
        -- stored state's), and whether that added anything.
        local function withNamed(named, ids)
          local grown = nil
          for _, id in ipairs(ids) do
            local i, found = findNamed(grown or named, id[1])
            if not found or (grown or named)[i][2] < id[2] then
              if grown == nil then
                grown = {}
                for j, v in ipairs(named) do grown[j] = v end
              end
              if found then grown[i] = id else table.insert(grown, i, id) end
            end
          end
          if grown == nil then return named, false end
          return grown, true
        end
        -- LwwMerge.Merge: the key's next state (the same table when unchanged) and what the write did.
        local function merge(state, w, base)
          if state == false then
            if base == nil then return {writes = {w}, floor = w[1], named = {}}, 'replaced' end
            local named = withNamed({}, base)
            return {writes = {w}, floor = 0, named = named}, 'replaced'
          end
          local floor, named, grew = state.floor, state.named, false
          if base == nil then
            -- Below the top it lost already; at or above it, it replaces every lower version.
            if w[1] < state.writes[1][1] then return state, 'ignored' end
            if w[1] > floor then floor, grew = w[1], true end
          else
            named, grew = withNamed(named, base)
          end
          -- A replaced version stays so: nothing of it is taken, not even its base, so a hostile base
          -- cannot remove heads that nothing replaces.
          if covers(floor, named, w[1], w[2]) then return state, 'ignored' end
          local kept, duplicate = {}, false
          for _, h in ipairs(state.writes) do
            if not covers(floor, named, h[1], h[2]) then
              if h[1] == w[1] and h[2] == w[2] and h[3] == w[3] then duplicate = true end
              kept[#kept + 1] = h
            end
          end
          if duplicate and #kept == #state.writes and not grew then return state, 'duplicate' end
          if not duplicate then
            local at = 1
            while at <= #kept and cmpHead(kept[at], w) > 0 do at = at + 1 end
            table.insert(kept, at, w)
          end
          local merged = {writes = kept, floor = floor, named = named}
          if #kept == 1 then return merged, 'replaced' end
          return merged, 'joined'
        end

        local clock = tonumber(redis.call('GET', KEYS[1]) or '0')
        local previous = clock
        -- A promotion (or restart) gives the primary a new replication id. Writes the old primary made
        -- but never replicated are gone, and so are the seqs it gave them, which nodes and devices may
        -- have seen: the clock jumps past them all before the first seq this primary hands out. No
        -- stored id is no proof of a new space: the space's first writes may have been lost with it.
        local fence, fencedBy = nil, nil
        local function readFence()
          if fence == nil then
            fence = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)') or ''
            fencedBy = redis.call('GET', KEYS[4])
          end
          return fencedBy ~= fence
        end
        for b = FIRST, #ARGV - 1, PER_WRITE do
          local lead = tonumber(ARGV[b + 1]) - clock
          -- The bound holds from the clock the push will follow: past the jump, when the space is fenced
          -- (so devices whose clocks came from the lost history can still write, and re-upload).
          if lead > MAX_LEAD and (not readFence() or lead - FAILOVER_MARGIN > MAX_LEAD) then
            local at = clock
            if readFence() then at = clock + FAILOVER_MARGIN end
            return redis.error_reply('NOTESYNC_CLOCK_LEAD ' .. ((b - FIRST) / PER_WRITE) .. ' ' .. fmt(at))
          end
        end
        local jumped = false
        local states = {}
        local before = {}
        local seqs = {}
        local superseded, supersededOrder = {}, {}
        for b = FIRST - 1, #ARGV - 1, PER_WRITE do
          local key = ARGV[b + 1]
          local val = false
          if ARGV[b + 4] == '1' then val = ARGV[b + 5] end
          local w = {tonumber(ARGV[b + 2]), ARGV[b + 3], val}
          local base = nil
          if ARGV[b + 6] ~= '~' then base = readIds(ARGV[b + 6], 1, #ARGV[b + 6]) end
          local state = states[key]
          if state == nil then
            local raw = redis.call('HGET', KEYS[2], key)
            if raw then state = decode(raw) else state = false end
            states[key] = state
            local n, b = usageOf(key, state)
            before[key] = {n, b}
          end
          local merged, outcome = merge(state, w, base)
          if outcome == 'joined' then
            local index = (b - (FIRST - 1)) / PER_WRITE
            if #merged.writes > MAX_WRITES then return redis.error_reply('NOTESYNC_NOTE_WRITES ' .. index) end
            local size = 0
            for _, h in ipairs(merged.writes) do size = size + #h[2] + (h[3] and #h[3] or 0) end
            if size > MAX_NOTE_BYTES then return redis.error_reply('NOTESYNC_NOTE_BYTES ' .. index .. ' ' .. fmt(size)) end
          end
          if outcome == 'replaced' or outcome == 'joined' then
            states[key] = merged
            if not jumped then
              jumped = true
              if readFence() then clock = math.min(MAX - 1, clock + FAILOVER_MARGIN) end
            end
            if clock >= MAX then
              return redis.error_reply('NOTESYNC_CLOCK_OVERFLOW the clock of the space reached 2^53-1; no further change can be given a seq')
            end
            clock = math.max(clock + 1, w[1])
            seqs[key] = clock
          else
            local ws = state.writes
            local exactly = #ws == 1 and ws[1][1] == w[1] and ws[1][2] == w[2] and ws[1][3] == w[3]
            if not exactly and not superseded[key] then
              superseded[key] = true
              supersededOrder[#supersededOrder + 1] = key
            end
          end
        end

        local changedKeys = {}
        for k, _ in pairs(seqs) do changedKeys[#changedKeys + 1] = k end
        table.sort(changedKeys, function(a, b) return seqs[a] < seqs[b] end)
        local usage = nil
        if #changedKeys > 0 then
          local dNotes, dBytes = 0, 0
          for _, k in ipairs(changedKeys) do
            local n, b = usageOf(k, states[k])
            dNotes, dBytes = dNotes + n - before[k][1], dBytes + b - before[k][2]
          end
          local held = redis.call('HMGET', KEYS[6], 'notes', 'bytes')
          local notes, bytes = tonumber(held[1]), tonumber(held[2])
          if notes == nil or bytes == nil then notes, bytes = countUsage() end
          -- Only a measure the push grows is held to its quota: deletes and shrinks always go in.
          if dNotes > 0 and notes + dNotes > MAX_NOTES then
            return redis.error_reply('NOTESYNC_QUOTA_NOTES ' .. fmt(notes + dNotes))
          end
          if dBytes > 0 and bytes + dBytes > MAX_SPACE_BYTES then
            return redis.error_reply('NOTESYNC_QUOTA_BYTES ' .. fmt(bytes + dBytes))
          end
          usage = {notes + dNotes, bytes + dBytes}
        end
        local epoch = redis.call('GET', KEYS[5]) or ''
        -- A space written before epochs existed gets its name at its next change.
        if (fence ~= nil and fence ~= fencedBy) or (epoch == '' and #changedKeys > 0) then
          epoch = NEW_EPOCH
          redis.call('SET', KEYS[5], epoch)
        end
        local out = {fmt(previous), fmt(clock), epoch, tostring(#changedKeys)}
        for _, k in ipairs(changedKeys) do
          local entry = encode(seqs[k], states[k])
          redis.call('HSET', KEYS[2], k, entry)
          redis.call('ZADD', KEYS[3], fmt(seqs[k]), k)
          out[#out + 1] = k
          out[#out + 1] = entry
        end
        -- WAIT counts what replicas hold of this connection's writes. A push that changes nothing (a
        -- re-send) must still write, or its answer could rest on a state only this primary holds.
        if usage then redis.call('HSET', KEYS[6], 'notes', fmt(usage[1]), 'bytes', fmt(usage[2])) end
        if #changedKeys > 0 or TOUCH then redis.call('SET', KEYS[1], fmt(clock)) end
        if fence ~= nil and fence ~= fencedBy then redis.call('SET', KEYS[4], fence) end
        for _, k in ipairs(supersededOrder) do
          if not seqs[k] then
            out[#out + 1] = k
            out[#out + 1] = states[k].raw
          end
        end
        return out
        """;

    /// <summary>
    /// One page of "changes since", read-only, so the clock and the rows come from one state. KEYS: clock,
    /// entries, log, primary, epoch, usage. ARGV: afterSeq, maxChanges, maxBytes. Returns <c>{C, more, epoch ('' for none), key1, entry1, ...}</c>.
    /// The script bounds the page by a cheap lower bound of each entry's wire size (its key and stored
    /// bytes less a version 2 entry's named versions, which no frame carries: the rest of the stored
    /// framing is never larger than the 100 bytes per head and per entry that
    /// <see cref="StoredEntry.EstimatedWireBytes"/> adds), so it never drops an entry the exact count would
    /// keep; the store then cuts the page exactly.
    /// </summary>
    public const string ReadSince = """
        local clock = redis.call('GET', KEYS[1]) or '0'
        local maxChanges = tonumber(ARGV[2])
        local maxBytes = tonumber(ARGV[3])
        local out = {clock, '0', redis.call('GET', KEYS[5]) or ''}
        local count, bytes, offset = 0, 0, 0
        local min = '(' .. ARGV[1]
        while true do
          local keys = redis.call('ZRANGEBYSCORE', KEYS[3], min, '+inf', 'LIMIT', offset, 256)
          if #keys == 0 then return out end
          local entries = redis.call('HMGET', KEYS[2], unpack(keys))
          for i = 1, #keys do
            if not entries[i] then return redis.error_reply('NOTESYNC_CORRUPT log names a key without an entry') end
            local size = #keys[i] + #entries[i]
            local named = string.byte(entries[i], 1) == 50 and string.match(entries[i], '^2,%d+,%d+,(%d+),')
            if named then size = size - tonumber(named) end
            if count == maxChanges or (count > 0 and bytes + size > maxBytes) then
              out[2] = '1'
              return out
            end
            out[#out + 1] = keys[i]
            out[#out + 1] = entries[i]
            count = count + 1
            bytes = bytes + size
          end
          if #keys < 256 then return out end
          offset = offset + 256
        end
        """;

    /// <summary>The SHA1 of <see cref="Apply"/>, as EVALSHA takes it.</summary>
    public static byte[] ApplySha1 { get; } = Sha1(Apply);

    /// <summary>The SHA1 of <see cref="ReadSince"/>.</summary>
    public static byte[] ReadSinceSha1 { get; } = Sha1(ReadSince);

    // SHA1 is what Redis names scripts by; it is an identifier here, not a security measure.
#pragma warning disable CA5350
    private static byte[] Sha1(string script) => SHA1.HashData(Encoding.UTF8.GetBytes(script));
#pragma warning restore CA5350
}
