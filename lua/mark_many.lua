-- bitmapist:mark_many - set or clear the bits of many marks in one call.
--
-- KEYS        the bitmaps of every mark, mark after mark (mark i owns ARGV[4 + 2i] keys)
-- ARGV[1]     the bit to write: '1' marks, '0' unmarks
-- ARGV[2]     the largest user id allowed
-- ARGV[3]     number of marks m
-- ARGV[4..]   m pairs: user id, number of keys of that mark
--
-- Returns     m, the number of marks written
-- Errors      BITMAPIST_BADARG <why>   (every mark is checked before the first write)
local rcall = redis.call

local bit = ARGV[1]
local maxUid = tonumber(ARGV[2])
local marks = tonumber(ARGV[3])

if bit ~= '0' and bit ~= '1' then
  return redis.error_reply('BITMAPIST_BADARG bit must be 0 or 1')
end
if maxUid == nil or marks == nil or marks < 0 or #ARGV ~= 3 + 2 * marks then
  return redis.error_reply('BITMAPIST_BADARG malformed batch header')
end

local keyTotal = 0
for i = 0, marks - 1 do
  local uid = tonumber(ARGV[4 + 2 * i])
  local keyCount = tonumber(ARGV[5 + 2 * i])
  if uid == nil or uid ~= math.floor(uid) or uid < 0 or uid > maxUid then
    return redis.error_reply('BITMAPIST_BADARG user id must be an integer in [0, ' .. ARGV[2] .. ']')
  end
  if keyCount == nil or keyCount < 1 then
    return redis.error_reply('BITMAPIST_BADARG every mark needs at least one key')
  end
  keyTotal = keyTotal + keyCount
end
if keyTotal ~= #KEYS then
  return redis.error_reply('BITMAPIST_BADARG key count does not match the batch')
end

local k = 1
for i = 0, marks - 1 do
  local uid = ARGV[4 + 2 * i]
  for _ = 1, tonumber(ARGV[5 + 2 * i]) do
    rcall('SETBIT', KEYS[k], uid, bit)
    k = k + 1
  end
end
return marks
