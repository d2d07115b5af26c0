-- bitmapist:cohort_row - one row of a cohort table: the users of the row's primary-event period and,
-- for each following period, how many of them did the secondary event (chained with the additional events).
--
-- KEYS            the primary bitmaps (OR'ed: the row's population P), then the bitmaps of every period in
--                 order (see ARGV[6..]), then 4 scratch keys unique to this call, deleted before returning
-- ARGV[1]         mode: 'first'     each user counts only in the first period they come back (P shrinks)
--                       'recurring' each period counts every returning user of P
--                       'unbounded' period j counts users of P active in period j or any later described period
-- ARGV[2]         time to live of the scratch keys in ms, a safety net should the script die half-way
-- ARGV[3]         number of primary bitmaps (at least 1)
-- ARGV[4]         number of cells to count, c
-- ARGV[5]         number of periods described, n (c <= n; 'unbounded' describes every period up to now)
-- ARGV[6..]       each period in order: g, then g group sizes; a period's set is the AND of its g groups and
--                 each group is the OR of that many of the following KEYS
--
-- Returns         { |P|, cell 0, ..., cell c-1 }, or { 0 } when P is empty
-- Errors          BITMAPIST_BADARG <why>   (checked before the first write)
local rcall = redis.call

local mode = ARGV[1]
local ttl = tonumber(ARGV[2])
local primaryCount = tonumber(ARGV[3])
local cells = tonumber(ARGV[4])
local periods = tonumber(ARGV[5])

if mode ~= 'first' and mode ~= 'recurring' and mode ~= 'unbounded' then
  return redis.error_reply('BITMAPIST_BADARG unknown mode ' .. tostring(mode))
end
if ttl == nil or ttl < 1 or primaryCount == nil or primaryCount < 1 or cells == nil or periods == nil
    or cells < 0 or periods < cells then
  return redis.error_reply('BITMAPIST_BADARG malformed row header')
end

-- Parse and check the period layout before any write.
local layout = {}
local arg = 6
local nextKey = primaryCount + 1
for p = 1, periods do
  local groupCount = tonumber(ARGV[arg])
  if groupCount == nil or groupCount < 1 then
    return redis.error_reply('BITMAPIST_BADARG bad group count for period ' .. p)
  end
  local groups = {}
  for g = 1, groupCount do
    local size = tonumber(ARGV[arg + g])
    if size == nil or size < 1 then
      return redis.error_reply('BITMAPIST_BADARG bad group size for period ' .. p)
    end
    groups[g] = { nextKey, nextKey + size - 1 }
    nextKey = nextKey + size
  end
  layout[p] = groups
  arg = arg + groupCount + 1
end
if arg - 1 ~= #ARGV or nextKey + 3 ~= #KEYS then
  return redis.error_reply('BITMAPIST_BADARG keys or arguments do not match the row layout')
end

local P, S, T, U = KEYS[nextKey], KEYS[nextKey + 1], KEYS[nextKey + 2], KEYS[nextKey + 3]

-- OR of KEYS[from..to] into dest, in chunks (unpack() fails past a few thousand values).
local function orInto(dest, from, to)
  local i = from
  local accumulated = false
  while i <= to do
    local j = math.min(to, i + 999)
    if accumulated then
      rcall('BITOP', 'OR', dest, dest, unpack(KEYS, i, j))
    else
      rcall('BITOP', 'OR', dest, unpack(KEYS, i, j))
    end
    accumulated = true
    i = j + 1
  end
end

-- Store the set of period p into S (T is used for groups of more than one key).
local function periodInto(p)
  local groups = layout[p]
  for g, range in ipairs(groups) do
    if g == 1 then
      orInto(S, range[1], range[2])
    elseif range[1] == range[2] then
      rcall('BITOP', 'AND', S, S, KEYS[range[1]])
    else
      orInto(T, range[1], range[2])
      rcall('BITOP', 'AND', S, S, T)
    end
  end
end

orInto(P, 1, primaryCount)
rcall('PEXPIRE', P, ttl)
local total = rcall('BITCOUNT', P)
local reply = { total }

if total > 0 then
  if mode == 'unbounded' then
    local counts = {}
    rcall('DEL', U)
    for p = periods, 1, -1 do
      periodInto(p)
      rcall('BITOP', 'OR', U, U, S)
      rcall('PEXPIRE', U, ttl)
      if p <= cells then
        rcall('BITOP', 'AND', T, P, U)
        rcall('PEXPIRE', T, ttl)
        counts[p] = rcall('BITCOUNT', T)
      end
    end
    for p = 1, cells do reply[p + 1] = counts[p] end
  else
    local remaining = total
    for p = 1, cells do
      if remaining == 0 then
        reply[p + 1] = 0
      else
        periodInto(p)
        rcall('BITOP', 'AND', S, S, P)
        rcall('PEXPIRE', S, ttl)
        local count = rcall('BITCOUNT', S)
        reply[p + 1] = count
        if mode == 'first' and count > 0 then
          rcall('BITOP', 'XOR', P, P, S)
          remaining = remaining - count
        end
      end
    end
  end
end

rcall('DEL', P, S, T, U)
return reply
