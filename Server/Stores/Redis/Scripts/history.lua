-- History (RedisScripts, History format). A key's versions are records in hk, oldest first; a version's
-- text is stored once: in the entry while it is a head, from the push that replaces it in hv (under its
-- order) or, where smaller, in hd as a splice of that push's new head (spliceOf). hold holds each key
-- with a recorded non-head, scored by its oldest non-head's order, for the space's bytes bound: one
-- member per note, not per version. Members '<order>,<key>' (one per version) are what stores before
-- that wrote; they are still read, and removed as their versions go.
local function versionId(ts, d) return fmt(ts) .. ',' .. d end
-- The longest n with a:sub(1, n) == b:sub(1, n), by halving (each comparison runs in C).
local function commonPrefix(a, b)
  local lo, hi = 0, math.min(#a, #b)
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if string.sub(a, 1, mid) == string.sub(b, 1, mid) then lo = mid else hi = mid - 1 end
  end
  return lo
end
local function commonSuffix(a, b, most)
  local lo, hi = 0, most
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if string.sub(a, #a - mid + 1) == string.sub(b, #b - mid + 1) then lo = mid else hi = mid - 1 end
  end
  return lo
end
-- older as a splice of newer: the bytes they share at the start and at the end, and older's bytes between.
-- Nil when that is not smaller than older itself. A note is mostly edited in one place at a time. Texts
-- over 256 KiB are kept whole: each halving step copies both prefixes, and Redis runs nothing else meanwhile.
local maxSpliced = 262144
local function spliceOf(newerOrder, newer, older)
  if #newer > maxSpliced or #older > maxSpliced then return nil end
  local p = commonPrefix(newer, older)
  local s = commonSuffix(newer, older, math.min(#newer, #older) - p)
  local splice = fmt(newerOrder) .. ',' .. fmt(p) .. ',' .. fmt(s) .. ',' .. string.sub(older, p + 1, #older - s)
  if #splice < #older then return splice end
  return nil
end
-- The ids of heads {timestamp, device, value}, as a set.
local function headIds(writes)
  local ids = {}
  for _, h in ipairs(writes) do ids[versionId(h[1], h[2])] = true end
  return ids
end
local function legacyHoldMember(order, key) return fmt(order) .. ',' .. key end
-- {order, at, ts, bytes, kind ('t' text, 'd' delete), dev, base (as stored: '~' or a token)}, oldest first.
local function readRecords(s)
  local records, pos = {}, 1
  while pos <= #s do
    local r = {}
    r.order, pos = readNumber(s, pos)
    r.at, pos = readNumber(s, pos)
    r.ts, pos = readNumber(s, pos)
    r.bytes, pos = readNumber(s, pos)
    r.kind = string.sub(s, pos, pos)
    r.dev, pos = readToken(s, pos + 1)
    local start, _ = pos, nil
    _, pos = readToken(s, pos)
    r.base = string.sub(s, start, pos - 1)
    records[#records + 1] = r
  end
  return records
end
local function writeRecords(records)
  local parts = {}
  for _, r in ipairs(records) do
    parts[#parts + 1] = fmt(r.order) .. ',' .. fmt(r.at) .. ',' .. fmt(r.ts) .. ',' .. fmt(r.bytes) .. ',' .. r.kind .. token(r.dev) .. r.base
  end
  return table.concat(parts)
end
-- Records the versions a push took (taken: {key, write, base as ARGV gives it}, in push order) and
-- applies retention: per changed key its count and age, then the space's bytes, oldest non-heads first.
-- olds[key] is the key's state before the push (false: none), whose heads' texts leave the entry now;
-- headsOf(key) the version ids of a key's current heads, for keys the push did not change.
local function recordHistory(changedKeys, states, olds, taken, maxVersions, maxAgeMs, maxBytes, headsOf)
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local meta = redis.call('HMGET', KEYS[7], 'n', 'bytes')
  local n, bytes = tonumber(meta[1] or '0'), tonumber(meta[2] or '0')
  local records, ids, dirty = {}, {}, {}
  local function load(key)
    if records[key] == nil then
      records[key] = readRecords(redis.call('HGET', KEYS[8], key) or '')
      ids[key] = {}
      for _, r in ipairs(records[key]) do ids[key][versionId(r.ts, r.dev)] = r end
    end
  end
  local function drop(key, r)
    if r.kind == 't' then redis.call('HDEL', KEYS[9], fmt(r.order)); redis.call('HDEL', KEYS[12], fmt(r.order)) end
    redis.call('ZREM', KEYS[10], legacyHoldMember(r.order, key))
    bytes = bytes - r.bytes - #r.dev
  end
  -- The key's member in hold: scored by its oldest non-head, absent when it has none.
  local function hold(key, heads)
    for _, r in ipairs(records[key]) do
      if not heads[versionId(r.ts, r.dev)] then
        redis.call('ZADD', KEYS[10], fmt(r.order), key)
        return
      end
    end
    redis.call('ZREM', KEYS[10], key)
  end
  -- Orders follow the push, as SQLite's rowids do, so both stores drop the same versions first. A
  -- version already recorded (a head re-taken with a base that changed what is replaced) is not again.
  for _, v in ipairs(taken) do
    local key, w = v[1], v[2]
    load(key)
    local id = versionId(w[1], w[2])
    if not ids[key][id] then
      n = n + 1
      local r = {order = n, at = now, ts = w[1], bytes = w[3] and #w[3] or 0, kind = w[3] and 't' or 'd',
        dev = w[2], base = v[3] == '~' and '~' or token(v[3]), value = w[3], fresh = true}
      records[key][#records[key] + 1] = r
      ids[key][id] = r
      bytes = bytes + r.bytes + #r.dev
    end
  end
  local cutoff = now - maxAgeMs
  for _, k in ipairs(changedKeys) do
    load(k)
    local heads, was = headIds(states[k].writes), {}
    if olds[k] then
      for _, h in ipairs(olds[k].writes) do
        local id = versionId(h[1], h[2])
        if was[id] == nil then was[id] = h[3] end
      end
    end
    local kept, total = {}, #records[k]
    -- The push's newest head with text: what the versions leaving now are kept as splices of (it is
    -- later than all of them, and retention drops oldest first, so a splice never outlives it).
    local target
    for _, r in ipairs(records[k]) do
      if r.fresh and r.kind == 't' and heads[versionId(r.ts, r.dev)] then target = r end
    end
    -- The age rule as a prefix of the key's records (TIME may go back across a failover), as the count rule is.
    local lastOld = 0
    for i, r in ipairs(records[k]) do
      if r.at <= cutoff then lastOld = i end
    end
    for i, r in ipairs(records[k]) do
      local id = versionId(r.ts, r.dev)
      -- Not a head before this push and not new: its text is in hv or hd and it is in hold already.
      local leaving = not heads[id] and (r.fresh or was[id] ~= nil)
      if heads[id] or (total - i < maxVersions and i > lastOld) then
        kept[#kept + 1] = r
        if leaving then
          local text = r.kind == 't' and (r.fresh and r.value or was[id])
          if text then
            local splice = target and target.order > r.order and spliceOf(target.order, target.value, text)
            if splice then
              redis.call('HSET', KEYS[12], fmt(r.order), splice)
              redis.call('HDEL', KEYS[9], fmt(r.order))
            else
              redis.call('HSET', KEYS[9], fmt(r.order), text)
              redis.call('HDEL', KEYS[12], fmt(r.order))
            end
          end
        end
      elseif leaving then
        bytes = bytes - r.bytes - #r.dev
      else
        drop(k, r)
      end
    end
    records[k], dirty[k] = kept, true
    hold(k, heads)
    local winner = states[k].writes[1]
    local deleted = ids[k][versionId(winner[1], winner[2])]
    if winner[3] == false and deleted and deleted.kind == 'd' then
      redis.call('ZADD', KEYS[11], fmt(deleted.order), k)
    else
      redis.call('ZREM', KEYS[11], k)
    end
  end
  while bytes > maxBytes do
    local oldest = redis.call('ZRANGE', KEYS[10], 0, 0, 'WITHSCORES')
    if not oldest[1] then break end
    local member, order = oldest[1], tonumber(oldest[2])
    local k = member
    if string.find(member, '^%d+,') then k = string.sub(member, string.find(member, ',', 1, true) + 1) end
    -- Removed whatever the record says, so a member without a record cannot hold the loop; a key's
    -- own member is put back below, scored by its next non-head.
    redis.call('ZREM', KEYS[10], member)
    load(k)
    local rest = {}
    for _, r in ipairs(records[k]) do
      if r.order == order then drop(k, r) else rest[#rest + 1] = r end
    end
    records[k], dirty[k] = rest, true
    hold(k, states[k] and headIds(states[k].writes) or headsOf(k))
  end
  for k, _ in pairs(dirty) do
    if #records[k] == 0 then redis.call('HDEL', KEYS[8], k) else redis.call('HSET', KEYS[8], k, writeRecords(records[k])) end
  end
  redis.call('HSET', KEYS[7], 'n', fmt(n), 'bytes', fmt(bytes))
end
