-- History (RedisScripts, History format). A key's versions are records in hk, oldest first; a version's
-- text is stored once: in the entry while it is a head; from the push that replaces it, as a splice of
-- that push's new head where smaller (spliceOf), else whole, in its record when that is small, else in
-- hd (a splice) or hv (whole) under its order. hold holds each key
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
-- A key's records, oldest first: {order, at, ts, bytes, kind ('t' text, 'd' delete), dev, base (as
-- stored: '~' or a token), text}. text is the version's own text kept in the record, tagged: 'w' and
-- the whole text, or 's' and a splice (spliceOf); nil when it is elsewhere (hv or hd by order, or the
-- entry while a head).
--
-- Layout 2, what is written: '2|' then per record
--   <order - previous order>,<at - previous at>,<ts - previous ts>,<bytes>,<kind><dev><base><text>
-- with dev '=' for the previous record's device, else a token; base '.' for exactly the previous
-- record's version, else as stored; text 'n' for none, else its tag and the rest as a token. A note
-- mostly edited by one device, each edit from the last, so a record costs about 20 bytes beside its
-- text. Layout 1, what stores before wrote (records without texts, numbers whole):
--   <order>,<at>,<ts>,<bytes>,<kind><dev token><base>
-- is still read, and rewritten as layout 2 at its key's next write.
local function singleBase(ts, dev) return token(fmt(ts) .. ',' .. token(dev)) end
-- Layout 2 is parsed lazily: each record keeps where it lies in the field (from, to), the record before
-- it there (after), and where its text lies (textFrom, textTo, tagged textTag), so a record that did not
-- change is copied as it was, a run of them in one piece, and texts are cut out only when read.
local function readRecords(s)
  local records, pos = {src = s}, 1
  if string.sub(s, 1, 2) ~= '2|' then
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
  pos = 3
  local prev = {order = 0, at = 0, ts = 0}
  local after = nil
  while pos <= #s do
    local dOrder, dAt, dTs, bytes, next = string.match(s, '^(-?%d+),(-?%d+),(-?%d+),(%d+),()', pos)
    local r = {from = pos, after = after}
    r.order, r.at, r.ts, r.bytes = prev.order + tonumber(dOrder), prev.at + tonumber(dAt), prev.ts + tonumber(dTs), tonumber(bytes)
    pos = next
    r.kind = string.sub(s, pos, pos)
    pos = pos + 1
    if string.byte(s, pos) == 61 then r.dev, pos = prev.dev, pos + 1 else r.dev, pos = readToken(s, pos) end
    if string.byte(s, pos) == 46 then
      r.baseAfter, pos = prev, pos + 1
    else
      local start, _ = pos, nil
      _, pos = readToken(s, pos)
      r.base = string.sub(s, start, pos - 1)
    end
    local tag = string.sub(s, pos, pos)
    if tag == 'n' then
      pos = pos + 1
    else
      local colon = string.find(s, ':', pos + 1, true)
      local len = tonumber(string.sub(s, pos + 1, colon - 1))
      r.textTag, r.textFrom, r.textTo = tag, colon + 1, colon + len
      pos = colon + len + 1
    end
    r.to = pos
    records[#records + 1] = r
    prev, after = r, r
  end
  return records
end
-- The record's base as stored ('~' or a token).
local function baseOf(r)
  if not r.base then r.base = singleBase(r.baseAfter.ts, r.baseAfter.dev) end
  return r.base
end
-- The record's own text, tagged ('w' whole, 's' a splice), or nil when it is elsewhere.
local function textOf(records, r)
  if r.text == nil and r.textTag then r.text = r.textTag .. string.sub(records.src, r.textFrom, r.textTo) end
  return r.text
end
local function writeRecords(records)
  local parts, prev, last = {'2|'}, {order = 0, at = 0, ts = 0}, nil
  local runFrom, runTo
  for _, r in ipairs(records) do
    -- Unchanged, and after the same record as when read: its bytes are still right.
    if r.from and not r.changed and r.after == last then
      if runTo == r.from then runTo = r.to else
        if runFrom then parts[#parts + 1] = string.sub(records.src, runFrom, runTo - 1) end
        runFrom, runTo = r.from, r.to
      end
    else
      if runFrom then parts[#parts + 1] = string.sub(records.src, runFrom, runTo - 1); runFrom, runTo = nil, nil end
      local base, text = baseOf(r), textOf(records, r)
      parts[#parts + 1] = fmt(r.order - prev.order) .. ',' .. fmt(r.at - prev.at) .. ',' .. fmt(r.ts - prev.ts) .. ',' .. fmt(r.bytes) .. ',' .. r.kind
      parts[#parts + 1] = r.dev == prev.dev and '=' or token(r.dev)
      parts[#parts + 1] = (prev.dev and base == singleBase(prev.ts, prev.dev)) and '.' or base
      parts[#parts + 1] = text and (string.sub(text, 1, 1) .. token(string.sub(text, 2))) or 'n'
    end
    prev, last = r, r
  end
  if runFrom then parts[#parts + 1] = string.sub(records.src, runFrom, runTo - 1) end
  return table.concat(parts)
end
-- Layout 1, as the readers of read-history.lua's answers take the records (RedisHistoryCodec).
local function writeLayout1(records)
  local parts = {}
  for _, r in ipairs(records) do
    parts[#parts + 1] = fmt(r.order) .. ',' .. fmt(r.at) .. ',' .. fmt(r.ts) .. ',' .. fmt(r.bytes) .. ',' .. r.kind .. token(r.dev) .. baseOf(r)
  end
  return table.concat(parts)
end
-- Texts kept in the record up to this size; larger ones in hv or hd by order, so a push rewriting a
-- note's records never copies more than a few kilobytes per version.
local maxInlineText = 1024
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
    if r.kind == 't' and not r.text and not r.textTag then redis.call('HDEL', KEYS[9], fmt(r.order)); redis.call('HDEL', KEYS[12], fmt(r.order)) end
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
            local kept = splice and ('s' .. splice) or ('w' .. text)
            if #kept <= maxInlineText then
              r.text, r.changed = kept, true
              redis.call('HDEL', KEYS[9], fmt(r.order))
              redis.call('HDEL', KEYS[12], fmt(r.order))
            elseif splice then
              r.text, r.textTag, r.changed = nil, nil, true
              redis.call('HSET', KEYS[12], fmt(r.order), splice)
              redis.call('HDEL', KEYS[9], fmt(r.order))
            else
              r.text, r.textTag, r.changed = nil, nil, true
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
    kept.src, records[k], dirty[k] = records[k].src, kept, true
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
    rest.src, records[k], dirty[k] = records[k].src, rest, true
    hold(k, states[k] and headIds(states[k].writes) or headsOf(k))
  end
  for k, _ in pairs(dirty) do
    if #records[k] == 0 then redis.call('HDEL', KEYS[8], k) else redis.call('HSET', KEYS[8], k, writeRecords(records[k])) end
  end
  redis.call('HSET', KEYS[7], 'n', fmt(n), 'bytes', fmt(bytes))
end
