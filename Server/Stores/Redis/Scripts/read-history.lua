-- KEYS: as Apply's. ARGV[1] 'h' key: {entry, records}; 'v' key timestamp device: {entry, records, the
-- version's text in hv}; 't' maxNotes: per trashed key, newest deletion first, {key, entry, records,
-- hv's text of its newest text version}. A head's text is the entry's, so hv has none for it (false).
local mode = ARGV[1]
if mode == 'h' then
  return {redis.call('HGET', KEYS[2], ARGV[2]), redis.call('HGET', KEYS[8], ARGV[2])}
end
if mode == 'v' then
  local raw = redis.call('HGET', KEYS[8], ARGV[2])
  local text = false
  if raw then
    local ts = tonumber(ARGV[3])
    for _, r in ipairs(readRecords(raw)) do
      if r.ts == ts and r.dev == ARGV[4] and r.kind == 't' then text = redis.call('HGET', KEYS[9], fmt(r.order)) end
    end
  end
  return {redis.call('HGET', KEYS[2], ARGV[2]), raw, text}
end
local out = {}
for _, key in ipairs(redis.call('ZREVRANGE', KEYS[11], 0, tonumber(ARGV[2]) - 1)) do
  local raw = redis.call('HGET', KEYS[8], key)
  local text = false
  if raw then
    local records = readRecords(raw)
    for i = #records, 1, -1 do
      if records[i].kind == 't' then
        text = redis.call('HGET', KEYS[9], fmt(records[i].order))
        break
      end
    end
  end
  out[#out + 1] = {key, redis.call('HGET', KEYS[2], key), raw, text}
end
return out
