-- bitmapist:forget_user - clear one user's bit in a batch of bitmaps, never growing one.
--
-- KEYS[1..n]  bitmaps that may hold the user's bit (found by SCAN; in Cluster all of one hash slot)
-- ARGV[1]     the user's bit offset in these bitmaps: an integer in [0, 2^32 - 1]
--
-- Returns     the number of bitmaps whose bit was 1 and is now 0
-- Errors      BITMAPIST_BADARG <why>   (raised before anything is written)
--
-- A key that is gone, holds another type, or is too short to hold the bit is skipped: SETBIT past a
-- bitmap's end would grow it. SETBIT 0 on one bit touches no other user's bit, so marks of other
-- processes between two calls are safe.
local rcall = redis.call

local bit = tonumber(ARGV[1])
if bit == nil or bit ~= math.floor(bit) or bit < 0 or bit > 4294967295 then
  return redis.error_reply('BITMAPIST_BADARG bit offset must be an integer in [0, 4294967295]')
end

local byte = math.floor(bit / 8)
local changed = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  if rcall('TYPE', key)['ok'] == 'string' and rcall('STRLEN', key) > byte then
    if rcall('SETBIT', key, ARGV[1], 0) == 1 then
      changed = changed + 1
    end
  end
end
return changed
