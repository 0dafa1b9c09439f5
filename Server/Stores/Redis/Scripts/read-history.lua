-- KEYS: as Apply's. ARGV[1] 'h' key: {entry, records (layout 1, history.lua)}; 'v' key timestamp device: {entry, records, the
-- version's text chain}; 't' maxNotes: per trashed key, newest deletion first, {key, entry, records,
-- the text chain of its newest text version}. A text chain is {text, false, false, splices...} for a
-- text kept whole, {false, ts, dev, splices...} when it ends at a head (whose text is the entry's), or
-- false when history holds no text; the splices lead from there back to the version, its own last
-- (history.lua, spliceOf). A head's own text is the entry's: its chain is {false, ts, dev}.
local function chainOf(records, order)
  local byOrder = {}
  for _, r in ipairs(records) do byOrder[r.order] = r end
  local splices = {}
  while true do
    local r = byOrder[order]
    local whole, splice
    local text = r and textOf(records, r)
    if text then
      if string.sub(text, 1, 1) == 'w' then whole = string.sub(text, 2) else splice = string.sub(text, 2) end
    else
      whole = redis.call('HGET', KEYS[9], fmt(order))
      if not whole then splice = redis.call('HGET', KEYS[12], fmt(order)) end
    end
    if whole then
      local chain = {whole, false, false}
      for i = #splices, 1, -1 do chain[#chain + 1] = splices[i] end
      return chain
    end
    if not splice then
      if not r or #splices == 0 then return false end
      local chain = {false, r.ts, r.dev}
      for i = #splices, 1, -1 do chain[#chain + 1] = splices[i] end
      return chain
    end
    splices[#splices + 1] = splice
    order = tonumber(string.sub(splice, 1, string.find(splice, ',', 1, true) - 1))
  end
end
-- The records as readers take them (layout 1), false for none.
local function recordsOf(raw)
  if not raw then return false end
  return writeLayout1(readRecords(raw))
end
local mode = ARGV[1]
if mode == 'h' then
  return {redis.call('HGET', KEYS[2], ARGV[2]), recordsOf(redis.call('HGET', KEYS[8], ARGV[2]))}
end
if mode == 'v' then
  local raw = redis.call('HGET', KEYS[8], ARGV[2])
  local text = false
  if raw then
    local ts = tonumber(ARGV[3])
    local records = readRecords(raw)
    for _, r in ipairs(records) do
      if r.ts == ts and r.dev == ARGV[4] and r.kind == 't' then text = chainOf(records, r.order) end
    end
  end
  return {redis.call('HGET', KEYS[2], ARGV[2]), recordsOf(raw), text}
end
local out = {}
for _, key in ipairs(redis.call('ZREVRANGE', KEYS[11], 0, tonumber(ARGV[2]) - 1)) do
  local raw = redis.call('HGET', KEYS[8], key)
  local text = false
  if raw then
    local records = readRecords(raw)
    for i = #records, 1, -1 do
      if records[i].kind == 't' then
        text = chainOf(records, records[i].order)
        break
      end
    end
  end
  out[#out + 1] = {key, redis.call('HGET', KEYS[2], key), recordsOf(raw), text}
end
return out
