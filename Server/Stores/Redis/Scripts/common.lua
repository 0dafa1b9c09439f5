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
