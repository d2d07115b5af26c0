-- bitmapist:cohort_windows - where the users of each cohort row are: the byte range of the row's population
-- (the OR of its primary bitmaps); and, optionally, the length of other bitmaps the cohort reads. Reads only;
-- a row whose primary bitmaps are missing or empty costs one EXISTS-like check per bitmap and answers -1, -1,
-- so its cells are never asked for.
--
-- KEYS            the primary bitmaps of every row, row after row; then the m other bitmaps (see 'lengths')
-- ARGV[1]         time budget of this call in microseconds (at least 1): past it, the call stops after the
--                 current row and the caller sends the remaining rows again
-- ARGV[2]         number of rows, r
-- ARGV[3..r+2]    the number of primary bitmaps of each row (at least 1)
-- then, optional  'small' b: a row whose bitmaps are all shorter than b bytes is not scanned for its first
--                 user (its lo is 0; a row of bitmaps holding only zeros then reads as populated, and its
--                 cells count 0); 'lengths' m: answer the byte length of the last m KEYS (0: missing)
--
-- Returns         { d, lo 1, hi 1, ..., lo d, hi d, length 1, ..., length m } for the first d rows (d < r when
--                 the budget ran out): [lo, hi] is the smallest byte range holding the row's users, -1, -1 for
--                 a row without users
-- Errors          BITMAPIST_BADARG <why>
--
-- Cost: per existing bitmap one STRLEN and one BITPOS, which scans up to the first set byte (about 0.12 ms
-- per MB); per other bitmap one STRLEN. The clock is read every 8 rows, and after every row that scanned a long
-- bitmap (over 64 KB: a scan that may take a millisecond on memory paged out). Nothing is written.
local rcall = redis.call

local budget = tonumber(ARGV[1])
local rows = tonumber(ARGV[2])
if budget == nil or budget < 1 or rows == nil or rows < 1 or #ARGV < rows + 2 then
  return redis.error_reply('BITMAPIST_BADARG malformed cohort_windows header')
end
local total = 0
for r = 1, rows do
  local count = tonumber(ARGV[r + 2])
  if count == nil or count < 1 or count ~= math.floor(count) then
    return redis.error_reply('BITMAPIST_BADARG bad primary count for row ' .. r)
  end
  total = total + count
end
local small, others = 0, 0
local a = rows + 3
while a <= #ARGV do
  local value = tonumber(ARGV[a + 1])
  if value == nil or value < 0 or value ~= math.floor(value) then
    return redis.error_reply('BITMAPIST_BADARG bad value of ' .. tostring(ARGV[a]))
  end
  if ARGV[a] == 'small' then
    small = value
  elseif ARGV[a] == 'lengths' then
    others = value
  else
    return redis.error_reply('BITMAPIST_BADARG unknown option ' .. tostring(ARGV[a]))
  end
  a = a + 2
end
if total + others ~= #KEYS then
  return redis.error_reply('BITMAPIST_BADARG keys do not match the primary counts')
end

local started = rcall('TIME')
local function overBudget()
  local now = rcall('TIME')
  return (now[1] - started[1]) * 1000000 + (now[2] - started[2]) >= budget
end
local LONG_SCAN = 65536
local reply = { 0 }
local key = 1
local scannedLong = false
for r = 1, rows do
  if r > 1 and (r % 8 == 1 or scannedLong) and overBudget() then break end
  scannedLong = false
  local lengths, longest = {}, 0
  for k = 1, tonumber(ARGV[r + 2]) do
    lengths[k] = rcall('STRLEN', KEYS[key + k - 1])
    if lengths[k] > longest then longest = lengths[k] end
  end
  local lo, hi = -1, -1
  if longest > 0 and longest < small then
    lo, hi = 0, longest - 1
  else
    scannedLong = longest > LONG_SCAN
    for k = 1, #lengths do
      if lengths[k] > 0 then
        local first = rcall('BITPOS', KEYS[key + k - 1], 1)
        if first >= 0 then
          local byte = math.floor(first / 8)
          if lo < 0 or byte < lo then lo = byte end
          if lengths[k] - 1 > hi then hi = lengths[k] - 1 end
        end
      end
    end
  end
  key = key + #lengths
  reply[1] = r
  reply[#reply + 1] = lo
  reply[#reply + 1] = hi
end
for k = total + 1, #KEYS do
  reply[#reply + 1] = rcall('STRLEN', KEYS[k])
end
return reply
