-- bitmapist:read_bitmaps - the part of some short bitmaps where some users are, when it is small: one
-- consistent snapshot, for the caller to count in its own process. Reads only.
--
-- KEYS            section after section (a section is a block of bitmaps: bit i of each is the same user):
--                 its population bitmaps, then its other bitmaps
-- ARGV[1]         the most bytes the bitmaps may hold together (what the call may scan): a non-negative integer
-- ARGV[2]         the most bytes the answer may hold: a non-negative integer
-- ARGV[3]         the number of sections, s
-- ARGV[4..2s+3]   per section: its number of population bitmaps, its number of other bitmaps
--
-- Returns         { 1, then per section: lo, the start of each population bitmap, then each bitmap's bytes
--                 (populations first) from its start up to hi } when the bitmaps' lengths add up to at most
--                 ARGV[1] and those bytes to at most ARGV[2]; else { 0 }, having read nothing but lengths (and,
--                 past ARGV[1] only, not even all of them). A population bitmap starts at its first user,
--                 another bitmap at lo, the first user of any population (each rounded down to a multiple of 4,
--                 so that words line up); hi is the end of the longest population bitmap with users. A bitmap
--                 without users, missing, or ending before its start reads as an empty string (its start is
--                 then lo). A section whose populations hold no user answers lo = -1 and nothing more.
-- Errors          BITMAPIST_BADARG <why>
--
-- Cost: one STRLEN per bitmap; within ARGV[1], one BITPOS per population bitmap (a scan of at most ARGV[1]
-- bytes in all); within ARGV[2], one GETRANGE per bitmap with bytes in its range (a copy of at most ARGV[2]).
local rcall = redis.call

local function count(i)
  local v = tonumber(ARGV[i])
  if v == nil or v < 0 or v ~= math.floor(v) then return nil end
  return v
end
local scanLimit, limit, sections = count(1), count(2), count(3)
if scanLimit == nil or limit == nil or sections == nil or #ARGV ~= 3 + 2 * sections then
  return redis.error_reply('BITMAPIST_BADARG malformed read_bitmaps arguments')
end
local keys = 0
for s = 1, sections do
  local populations, others = count(2 + 2 * s), count(3 + 2 * s)
  if populations == nil or others == nil then
    return redis.error_reply('BITMAPIST_BADARG bad bitmap counts of section ' .. s)
  end
  keys = keys + populations + others
end
if keys ~= #KEYS then
  return redis.error_reply('BITMAPIST_BADARG keys do not match the sections')
end

-- Every length first: long bitmaps stop the call before any scan.
local lengths, scanned = {}, 0
for q = 1, #KEYS do
  lengths[q] = rcall('STRLEN', KEYS[q])
  scanned = scanned + lengths[q]
  if scanned > scanLimit then return { 0 } end
end

-- Then every range, so that an answer over the limit costs no copy: starts[k] and ends[k] (exclusive).
local starts, ends, windows = {}, {}, {}
local total, k = 0, 1
for s = 1, sections do
  local populations, others = tonumber(ARGV[2 + 2 * s]), tonumber(ARGV[3 + 2 * s])
  local lo, hi = -1, -1
  for p = k, k + populations - 1 do
    local length = lengths[p]
    local first = length > 0 and rcall('BITPOS', KEYS[p], 1) or -1
    if first >= 0 then
      starts[p], ends[p] = math.floor(first / 32) * 4, length
      if lo < 0 or starts[p] < lo then lo = starts[p] end
      if length - 1 > hi then hi = length - 1 end
      total = total + ends[p] - starts[p]
      if total > limit then return { 0 } end
    end
  end
  windows[s] = lo
  for p = k, k + populations - 1 do
    if starts[p] == nil then starts[p], ends[p] = lo, lo end
  end
  if lo >= 0 then
    for q = k + populations, k + populations + others - 1 do
      starts[q], ends[q] = lo, math.min(lengths[q], hi + 1)
      if ends[q] > starts[q] then
        total = total + ends[q] - starts[q]
        if total > limit then return { 0 } end
      end
    end
  end
  k = k + populations + others
end

local answer = { 1 }
k = 1
for s = 1, sections do
  local populations, others = tonumber(ARGV[2 + 2 * s]), tonumber(ARGV[3 + 2 * s])
  answer[#answer + 1] = windows[s]
  if windows[s] >= 0 then
    for p = k, k + populations - 1 do answer[#answer + 1] = starts[p] end
    for q = k, k + populations + others - 1 do
      answer[#answer + 1] = ends[q] > starts[q] and rcall('GETRANGE', KEYS[q], starts[q], ends[q] - 1) or ''
    end
  end
  k = k + populations + others
end
return answer
