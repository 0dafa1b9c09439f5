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
