using System.Security.Cryptography;
using System.Text;

namespace NoteSync.Server.Stores.Redis;

/// <summary>
/// The two Lua scripts of <see cref="RedisSyncStore"/>. Each is sent once (EVAL, which also caches it on
/// the node that owns the space's slot) and from then on called by its SHA1 (EVALSHA); see
/// <see cref="RedisSyncStore"/> for the NOSCRIPT fallback. Keys: <see cref="RedisKeys"/>.
/// <para>
/// <b>Entry format</b> (the values of the <c>ns:{space}:e</c> hash, version 1), written by <see cref="Apply"/> only:
/// <code>1,&lt;seq&gt;,&lt;timestamp&gt;,&lt;device_id&gt;&lt;value&gt;&lt;device_id&gt;&lt;value&gt;...</code>
/// one (device_id, value) pair per write of W, best first (the winner first), every string as
/// <c>&lt;UTF-8 byte length&gt;:&lt;bytes&gt;</c> and a null value (a tombstone) as <c>~</c>, so null and ""
/// differ. All of W shares the one timestamp. A reader refuses a version other than 1 rather than misread
/// it; a later version changes the leading number.
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

    /// <summary>The error a push gets when a change would give its note more tied writes than allowed; followed by the change's index.</summary>
    public const string NoteWritesError = "NOTESYNC_NOTE_WRITES";

    /// <summary>The error a push gets when a change would make its note's tied writes too large; followed by the change's index and the size.</summary>
    public const string NoteBytesError = "NOTESYNC_NOTE_BYTES";

    /// <summary>The error a push gets when it would give its space more notes than allowed; followed by the count it would reach.</summary>
    public const string QuotaNotesError = "NOTESYNC_QUOTA_NOTES";

    /// <summary>The error a push gets when it would give its space more bytes than allowed; followed by the size it would reach.</summary>
    public const string QuotaBytesError = "NOTESYNC_QUOTA_BYTES";

    /// <summary>
    /// Merges a whole push, atomically. KEYS: clock, entries, log, primary, epoch, usage. ARGV: the most a change may lead
    /// the clock (<see cref="ClockLimits.MaxLead"/>), the failover margin (<see cref="ClockLimits.FailoverMargin"/>),
    /// '1' to write even when nothing changes (so a WAIT after the script covers the state its answer
    /// came from) or '0', a new epoch to take if the clock is fenced, the most writes and bytes a note may
    /// hold at its top timestamp (<see cref="NoteLimits"/>, counted as <see cref="NoteLimits.SizeOf"/>
    /// counts), the most notes and bytes the space may hold (<see cref="SpaceQuotas"/>, an entry counted
    /// as <see cref="SpaceQuotas.SizeOf"/> counts it), then five per write: key, timestamp,
    /// device_id, '1' or '0' (has a value or is a tombstone), value ('' for a tombstone).
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
        local function decode(s)
          local c1 = string.find(s, ',', 1, true)
          if string.sub(s, 1, c1 - 1) ~= '1' then error('NOTESYNC_FORMAT unknown entry format ' .. string.sub(s, 1, c1 - 1)) end
          local c2 = string.find(s, ',', c1 + 1, true)
          local c3 = string.find(s, ',', c2 + 1, true)
          local writes = {}
          local pos = c3 + 1
          while pos <= #s do
            local d, v
            d, pos = readToken(s, pos)
            v, pos = readToken(s, pos)
            writes[#writes + 1] = {d, v}
          end
          return {ts = tonumber(string.sub(s, c2 + 1, c3 - 1)), writes = writes, raw = s}
        end
        local function encode(seq, state)
          local parts = {'1,', fmt(seq), ',', fmt(state.ts), ','}
          for _, w in ipairs(state.writes) do
            parts[#parts + 1] = token(w[1])
            parts[#parts + 1] = token(w[2])
          end
          return table.concat(parts)
        end
        -- SpaceQuotas.UsageOf: (1 when the winner has a value, the entry's size); nothing for no entry.
        local function usageOf(key, state)
          if state == false then return 0, 0 end
          local bytes = #key + ENTRY_OVERHEAD
          for _, w in ipairs(state.writes) do bytes = bytes + #w[1] + (w[2] and #w[2] or 0) end
          return (state.writes[1][2] and 1 or 0), bytes
        end
        local function countUsage()
          local notes, bytes = 0, 0
          for _, k in ipairs(redis.call('HKEYS', KEYS[2])) do
            local n, b = usageOf(k, decode(redis.call('HGET', KEYS[2], k)))
            notes, bytes = notes + n, bytes + b
          end
          return notes, bytes
        end
        local function cmpWrite(d1, v1, d2, v2)
          local c = cmp16(d1, d2)
          if c ~= 0 then return c end
          if v1 == false or v2 == false then
            return (v1 == false and 0 or 1) - (v2 == false and 0 or 1)
          end
          return cmp16(v1, v2)
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
        for b = FIRST, #ARGV - 1, 5 do
          local lead = tonumber(ARGV[b + 1]) - clock
          -- The bound holds from the clock the push will follow: past the jump, when the space is fenced
          -- (so devices whose clocks came from the lost history can still write, and re-upload).
          if lead > MAX_LEAD and (not readFence() or lead - FAILOVER_MARGIN > MAX_LEAD) then
            local at = clock
            if readFence() then at = clock + FAILOVER_MARGIN end
            return redis.error_reply('NOTESYNC_CLOCK_LEAD ' .. ((b - FIRST) / 5) .. ' ' .. fmt(at))
          end
        end
        local jumped = false
        local states = {}
        local before = {}
        local seqs = {}
        local superseded, supersededOrder = {}, {}
        for b = FIRST - 1, #ARGV - 1, 5 do
          local key = ARGV[b + 1]
          local ts = tonumber(ARGV[b + 2])
          local dev = ARGV[b + 3]
          local val = false
          if ARGV[b + 4] == '1' then val = ARGV[b + 5] end
          local state = states[key]
          if state == nil then
            local raw = redis.call('HGET', KEYS[2], key)
            if raw then state = decode(raw) else state = false end
            states[key] = state
            local n, b = usageOf(key, state)
            before[key] = {n, b}
          end
          local changed = false
          if state == false or ts > state.ts then
            state = {ts = ts, writes = {{dev, val}}}
            states[key] = state
            changed = true
          elseif ts == state.ts then
            local ws = state.writes
            local at = #ws + 1
            local duplicate = false
            for j = 1, #ws do
              local c = cmpWrite(dev, val, ws[j][1], ws[j][2])
              if c == 0 then duplicate = true break end
              if c > 0 then at = j break end
            end
            if not duplicate then
              local index = (b - (FIRST - 1)) / 5
              if #ws + 1 > MAX_WRITES then return redis.error_reply('NOTESYNC_NOTE_WRITES ' .. index) end
              local size = #dev + (val and #val or 0)
              for j = 1, #ws do size = size + #ws[j][1] + (ws[j][2] and #ws[j][2] or 0) end
              if size > MAX_NOTE_BYTES then return redis.error_reply('NOTESYNC_NOTE_BYTES ' .. index .. ' ' .. fmt(size)) end
              table.insert(ws, at, {dev, val})
              state.raw = nil
              changed = true
            end
          end
          if changed then
            if not jumped then
              jumped = true
              if readFence() then clock = math.min(MAX - 1, clock + FAILOVER_MARGIN) end
            end
            if clock >= MAX then
              return redis.error_reply('NOTESYNC_CLOCK_OVERFLOW the clock of the space reached 2^53-1; no further change can be given a seq')
            end
            clock = math.max(clock + 1, ts)
            seqs[key] = clock
            state.seq = clock
          else
            local ws = state.writes
            local exactly = #ws == 1 and state.ts == ts and ws[1][1] == dev and ws[1][2] == val
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
    /// bytes: the stored framing is never larger than the 100 bytes per write and per entry that
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
