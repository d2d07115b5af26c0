-- bitmapist:user_bits - which bitmaps of a batch hold one user's bit. Reads only.
--
-- KEYS[1..n]  bitmaps that may hold the user's bit (found by SCAN; in Cluster all of one hash slot)
-- ARGV[1]     the user's bit offset in these bitmaps: an integer in [0, 2^32 - 1]
--
-- Returns     the positions (1-based, ascending) in KEYS of the bitmaps whose bit is 1
-- Errors      BITMAPIST_BADARG <why>
--
-- A key that is gone, holds another type, or is too short to hold the bit is skipped (GETBIT is never sent
-- past a bitmap's end), as forget_user.lua skips it.
local rcall = redis.call

local bit = tonumber(ARGV[1])
if bit == nil or bit ~= math.floor(bit) or bit < 0 or bit > 4294967295 then
  return redis.error_reply('BITMAPIST_BADARG bit offset must be an integer in [0, 4294967295]')
end

local byte = math.floor(bit / 8)
local found = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  if rcall('TYPE', key)['ok'] == 'string' and rcall('STRLEN', key) > byte and rcall('GETBIT', key, ARGV[1]) == 1 then
    found[#found + 1] = i
  end
end
return found
