-- bitmapist:mark - set or clear one user's bit in every bitmap of one mark, all of them or none.
--
-- KEYS[1..n]  the bitmaps of the mark (month, ISO week, day, and optionally hour and unique)
-- ARGV[1]     user id: an integer in [0, ARGV[3]]
-- ARGV[2]     the bit to write: '1' marks, '0' unmarks
-- ARGV[3]     the largest user id allowed
-- ARGV[4]     optional: '1' when the last key is not a bitmap but the prefix's id mode marker (integer ids,
--             compatible layout): a prefix recorded as holding mapped ids is refused
--
-- Returns     the number of bitmaps whose bit changed
-- Errors      BITMAPIST_BADARG <why>                 (raised before anything is written)
--             BITMAPIST_WRONGTYPE <i> <type>         KEYS[i] holds a <type>, not a string bitmap: nothing written
--             BITMAPIST_IDMODE mapped                the prefix holds mapped ids: nothing written
local rcall = redis.call

local bitmaps = #KEYS
if ARGV[4] == '1' then
  bitmaps = #KEYS - 1
  if bitmaps >= 1 and rcall('GET', KEYS[#KEYS]) == 'mapped' then
    return redis.error_reply('BITMAPIST_IDMODE mapped')
  end
end

local uid = tonumber(ARGV[1])
local maxUid = tonumber(ARGV[3])
local bit = ARGV[2]

if bitmaps < 1 then
  return redis.error_reply('BITMAPIST_BADARG a mark needs at least one key')
end
if maxUid == nil or uid == nil or uid ~= math.floor(uid) or uid < 0 or uid > maxUid then
  return redis.error_reply('BITMAPIST_BADARG user id must be an integer in [0, ' .. tostring(ARGV[3]) .. ']')
end
if bit ~= '0' and bit ~= '1' then
  return redis.error_reply('BITMAPIST_BADARG bit must be 0 or 1')
end
-- Redis has no rollback: a key of another type would fail SETBIT after the bits before it were set.
for i = 1, bitmaps do
  local kind = rcall('TYPE', KEYS[i])['ok']
  if kind ~= 'string' and kind ~= 'none' then
    return redis.error_reply('BITMAPIST_WRONGTYPE ' .. i .. ' ' .. kind)
  end
end

local wanted = tonumber(bit)
local changed = 0
for i = 1, bitmaps do
  if rcall('SETBIT', KEYS[i], ARGV[1], bit) ~= wanted then
    changed = changed + 1
  end
end
return changed
