-- bitmapist:cohort_row - one row of a cohort table: the users of the row's primary-event period and,
-- for each following period, how many of them did the secondary event (chained with the additional events).
--
-- KEYS            the primary bitmaps (OR'ed: the row's population P), then the bitmaps of every period in
--                 order (see ARGV[6..]), then 4 scratch keys unique to this call, deleted before returning
--                 (on error paths too)
-- ARGV[1]         mode: 'first'     each user counts only in the first period they come back (P shrinks)
--                       'recurring' each period counts every returning user of P
--                       'unbounded' period j counts users of P active in period j or any later described period
-- ARGV[2]         time to live of the scratch keys in ms (a positive integer). Kept for the calling
--                 convention: every error is caught and the scratch keys deleted, so none outlives the call
-- ARGV[3]         number of primary bitmaps (at least 1)
-- ARGV[4]         number of cells to count, c
-- ARGV[5]         number of periods described, n (c <= n; 'unbounded' describes every period up to now)
-- ARGV[6..]       each period in order: g, then g group sizes; a period's set is the AND of its g groups and
--                 each group is the OR of that many of the following KEYS
--
-- Returns         { |P|, cell 0, ..., cell c-1 }, or { 0 } when P is empty
-- Errors          BITMAPIST_BADARG <why>   (checked before the first write)
--
-- Cost: a cell is one BITOP AND (period bitmaps and P together) and one BITCOUNT, plus in 'first' mode one
-- BITOP XOR when users came back, and in 'unbounded' mode one BITOP OR; a bitmap that is a whole period or
-- population on its own is read in place. A population at most WINDOW_MAX_BYTES wide (e.g. one day of
-- sign-ups with sequential ids) is worked on as a window instead: each cell first copies that byte range
-- of its period (GETRANGE + SET), and every operation then runs on a few hundred bytes, not whole bitmaps.
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

-- Parse and check the period layout before any write. A period is a list of groups, a group the range
-- { first, last } of its KEYS.
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

-- Stores into dest the AND of period p's groups and of the bitmap `with` (when given). Single-bitmap
-- groups join one BITOP AND together with `with`; each group of several bitmaps is OR'ed into T first.
local function intersectInto(dest, p, with)
  local operands = {}
  if with then operands[1] = with end
  local unions = {}
  for _, range in ipairs(layout[p]) do
    if range[1] == range[2] then
      operands[#operands + 1] = KEYS[range[1]]
    else
      unions[#unions + 1] = range
    end
  end
  local started = false
  if #operands > 0 then
    rcall('BITOP', 'AND', dest, unpack(operands))
    started = true
  end
  for _, range in ipairs(unions) do
    if started then
      orInto(T, range[1], range[2])
      rcall('BITOP', 'AND', dest, dest, T)
    else
      orInto(dest, range[1], range[2])
      started = true
    end
  end
end

-- The bitmap holding period p's set: its only bitmap when it has one, else `dest` after computing it.
local function periodKey(p, dest)
  local groups = layout[p]
  if #groups == 1 and groups[1][1] == groups[1][2] then return KEYS[groups[1][1]] end
  intersectInto(dest, p, nil)
  return dest
end

-- A population at most this many bytes wide (8 ids per byte) is worked on as a window: see row().
local WINDOW_MAX_BYTES = 4096

-- Stores the bytes [lo, hi] of key into dest (shorter when key ends before hi) and returns dest.
local function windowInto(dest, key, lo, hi)
  rcall('SET', dest, rcall('GETRANGE', key, lo, hi))
  return dest
end

local function row()
  -- The population: the primary bitmap itself when there is one, else the OR of them in P.
  local population = KEYS[1]
  if primaryCount > 1 then
    orInto(P, 1, primaryCount)
    population = P
  end
  local total = rcall('BITCOUNT', population)
  local reply = { total }
  if total == 0 then return reply end

  -- Every cell counts a subset of the population, so only the bytes [lo, hi] holding its users matter.
  -- BITOP works through its longest operand (byte by byte past the shortest one), so when the population
  -- is narrow, e.g. one day of sign-ups with sequential ids, 200 bytes inside 12 kB bitmaps, each cell
  -- works on copies of that window instead of whole bitmaps. (Numbers go to redis.call as strings: Redis
  -- formats Lua numbers with a slow snprintf.)
  local first = math.floor(rcall('BITPOS', population, 1) / 8)
  local last = rcall('STRLEN', population) - 1
  local width = last - first + 1
  local windowed = width <= WINDOW_MAX_BYTES
  local lo, hi = tostring(first), tostring(last)
  local function periodSet(p, dest)
    local key = periodKey(p, dest)
    if windowed then return windowInto(dest, key, lo, hi) end
    return key
  end
  if windowed then population = windowInto(P, population, lo, hi) end

  if mode == 'unbounded' then
    local counts = {}
    for p = periods, 1, -1 do
      rcall('BITOP', 'OR', U, U, periodSet(p, S))
      if p <= cells then
        rcall('BITOP', 'AND', T, population, U)
        counts[p] = rcall('BITCOUNT', T)
      end
    end
    for p = 1, cells do reply[p + 1] = counts[p] end
    return reply
  end

  local remaining = total
  for p = 1, cells do
    if remaining == 0 then
      reply[p + 1] = 0
    else
      if windowed then
        rcall('BITOP', 'AND', S, population, periodSet(p, S))
      else
        intersectInto(S, p, population)
      end
      local count = rcall('BITCOUNT', S)
      reply[p + 1] = count
      if mode == 'first' and count > 0 then
        -- Those users are counted: take them out of the population (S is a subset of it).
        rcall('BITOP', 'XOR', P, population, S)
        population = P
        remaining = remaining - count
      end
    end
  end
  return reply
end

local ok, result = pcall(row)
rcall('DEL', P, S, T, U)
if not ok then
  return redis.error_reply(type(result) == 'table' and result.err or tostring(result))
end
return result
