local MAX = 9007199254740991
local MAX_LEAD = tonumber(ARGV[1])
local FAILOVER_MARGIN = tonumber(ARGV[2])
local TOUCH = ARGV[3] == '1'
local NEW_EPOCH = ARGV[4]
local MAX_WRITES = tonumber(ARGV[5])
local MAX_NOTE_BYTES = tonumber(ARGV[6])
local MAX_NOTES = tonumber(ARGV[7])
local MAX_SPACE_BYTES = tonumber(ARGV[8])
local MAX_VERSIONS = tonumber(ARGV[9])
local MAX_AGE_MS = tonumber(ARGV[10])
local MAX_HISTORY_BYTES = tonumber(ARGV[11])
local FIRST = 12
local PER_WRITE = 6
local ENTRY_OVERHEAD = 64
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
-- ReplacedVersions.With(floor, ids): the named list with ids added (a copy; the old one may be a
-- stored state's), and whether that added anything. A name below the floor adds nothing.
local function withNamed(named, ids, floor)
  local grown = nil
  for _, id in ipairs(ids) do
    if id[2] >= floor then
      local i, found = findNamed(grown or named, id[1])
      if not found or (grown or named)[i][2] < id[2] then
        if grown == nil then
          grown = {}
          for j, v in ipairs(named) do grown[j] = v end
        end
        if found then grown[i] = id else table.insert(grown, i, id) end
      end
    end
  end
  if grown == nil then return named, false end
  return grown, true
end
-- LwwMerge.Merge: the key's next state (the same table when unchanged) and what the write did.
local function merge(state, w, base)
  if state == false then
    if base == nil then return {writes = {w}, floor = w[1], named = {}}, 'replaced' end
    local named = withNamed({}, base, 0)
    return {writes = {w}, floor = 0, named = named}, 'replaced'
  end
  local floor, named, grew = state.floor, state.named, false
  if base == nil then
    -- Below the floor it lost already; at or above it, it replaces every lower version (LwwMerge.Merge).
    if w[1] < floor then return state, 'ignored' end
    if w[1] > floor then
      -- A name below the new floor says no more than the floor does (ReplacedVersions.With).
      floor, grew = w[1], true
      local pruned = {}
      for _, id in ipairs(named) do
        if id[2] >= floor then pruned[#pruned + 1] = id end
      end
      named = pruned
    end
  else
    named, grew = withNamed(named, base, floor)
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
local olds = {}
local taken = {}
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
    olds[key] = state
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
    taken[#taken + 1] = {key, w, ARGV[b + 6]}
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
if #changedKeys > 0 then
  recordHistory(changedKeys, states, olds, taken, MAX_VERSIONS, MAX_AGE_MS, MAX_HISTORY_BYTES, function(k)
    local entry = redis.call('HGET', KEYS[2], k)
    return entry and headIds(decode(entry).writes) or {}
  end)
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
