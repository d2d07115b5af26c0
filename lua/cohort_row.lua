-- bitmapist:cohort_row - the cells of cohort rows, within a time budget: a call computes as much as its budget
-- allows and answers where it stopped; the next call of the same chain resumes there from the state it left
-- in its scratch keys (a row may span calls, a call may hold many rows).
--
-- KEYS            row after row: the row's primary bitmaps (unless it resumes in its periods), then the
--                 bitmaps of its periods in the order ARGV describes them; then, with a segment, the segment
--                 key of each row whose segment kind is not 0, in row order; then the 5 scratch keys of this
--                 chain: P (population), U (union, mode 'unbounded'), C (cell), G (group), T (temporary)
-- ARGV[1]         mode: 'first' | 'recurring' | 'unbounded' (each counts what cohort.ts describes)
-- ARGV[2]         time to live in ms of the state left for the next call of the chain (a positive integer)
-- ARGV[3]         time budget in microseconds (at least 1): past it, the call stops before its next bitmap read
-- ARGV[4]         number of rows, r
-- then per row    stage (0: not started; 1: resume in its primaries; 2: resume in its periods), the number of
--                 primaries sent (0 for stage 2), lo, hi (the population's byte range, from cohort_windows),
--                 group and key to resume at (stage 1: 1 and the primary; stage 2: in its first period sent;
--                 stage 0: 1, 1), last (1 when the row ends with these periods, 0 when more follow), the
--                 number of periods n, in place (0: on copies of the window; 1: on whole bitmaps, lo must be 0;
--                 2: a small row, see below), then per period: counted (1 or 0), the number of groups g, and g group
--                 sizes. Periods come in the order they are worked: ascending, or descending in mode
--                 'unbounded', whose period j counts the users of P active in any period from j to now.
-- then, only with a segment: the word 'segment' and one kind per row: 0 the row's population is not
--                 restricted; 1 P is ANDed with the row's segment key, an event bitmap (read only, a missing
--                 one is empty); 2 the same with a scratch key of the caller, which must exist (else
--                 BITMAPIST_STATE_LOST) and whose time to live each read renews to ARGV[2]. The AND comes
--                 after the primaries, before P is counted: a row of kind 1 or 2 may resume in stage 1 at key
--                 primaries + 1 (its primaries done, the segment next).
-- then, optional  the word 'lengths' and, for each row (all small) and each of its periods sent, the byte length of
--                 the longest bitmap of the period: modes 'recurring' and 'unbounded' then pad P with zeros ahead
--                 of the periods' bitmaps, so that BITOP runs word by word instead of byte by byte over the
--                 difference (see PAD_AHEAD).
--
-- Returns         { row, stage, period, group, key, values... }: where the next call resumes (row r + 1: all
--                 done; stage 0: the row has not started; 1: in its primaries at key; 2: at period (n + 1:
--                 after the last one sent), group, key), then for each row worked: its population count once
--                 its primaries (and segment) are done, then the count of each counted period finished
-- Errors          BITMAPIST_BADARG <why> (checked before the first write), BITMAPIST_STATE_LOST when the
--                 state to resume, or a scratch segment key, has expired
--
-- A small row (in place 2, lo 0; hi is the end of the longest bitmap of its block, a measure of its work) is
-- worked on the bitmaps themselves, a period at a time: its cell is one BITOP AND of the population (its primary
-- bitmap itself while nothing changed it) with the period's bitmaps (a group of several ORed first) and a
-- BITCOUNT. BITOP goes word by word only as far as all its operands reach, then byte by byte: given the periods'
-- lengths, modes 'recurring' and 'unbounded' pad P ahead of them (ids grow with time, so a cohort's later
-- bitmaps are longer), and mode 'first' gets the same from its XOR. It stops only between periods, and reads
-- the clock only after about SMALL_CHECK_BYTES of work. Other rows:
-- Every set is worked on as a copy of the window [lo, hi] of its bitmaps (BITPOS, GETRANGE), so a cell costs the
-- population's width, not the bitmaps' length; a population wider than half of its bitmaps is worked in place.
-- A missing bitmap is skipped: an OR group ignores it, and a group with no bitmap makes its period empty (count
-- 0) without any BITOP. The budget is checked (TIME) before each bitmap read, so a call exceeds it by at most one
-- window copy.
local rcall = redis.call

local mode = ARGV[1]
local ttl = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local rowCount = tonumber(ARGV[4])
if mode ~= 'first' and mode ~= 'recurring' and mode ~= 'unbounded' then
  return redis.error_reply('BITMAPIST_BADARG unknown mode ' .. tostring(mode))
end
if ttl == nil or ttl < 1 or budget == nil or budget < 1 or rowCount == nil or rowCount < 1 then
  return redis.error_reply('BITMAPIST_BADARG malformed cohort_row header')
end

-- Parse and check every row before any write.
local rows = {}
local arg, key = 5, 1
local function int(i, min)
  local v = tonumber(ARGV[i])
  if v == nil or v ~= math.floor(v) or v < min then return nil end
  return v
end
for r = 1, rowCount do
  local row = { stage = int(arg, 0), primaries = int(arg + 1, 0), lo = int(arg + 2, 0), hi = int(arg + 3, 0),
    group = int(arg + 4, 1), key = int(arg + 5, 1), last = int(arg + 6, 0), periods = {} }
  local n = int(arg + 7, 0)
  row.inPlace = int(arg + 8, 0)
  if not (row.stage and row.primaries and row.lo and row.hi and row.group and row.key and row.last and n and row.inPlace)
      or row.stage > 2 or row.last > 1 or row.inPlace > 2 or (row.inPlace >= 1 and row.lo ~= 0)
      or (row.inPlace >= 2 and (row.stage == 1 or row.group ~= 1 or row.key > 4 or (row.stage == 0 and row.key ~= 1))) or row.hi < row.lo
      or (row.inPlace < 2 and (row.stage < 2) ~= (row.primaries > 0)) or (row.inPlace >= 2 and row.primaries < 1)
      or (row.stage ~= 2 and row.group ~= 1) or (row.stage == 0 and row.key ~= 1)
      or (row.stage == 1 and row.key > row.primaries + 1) then
    return redis.error_reply('BITMAPIST_BADARG malformed header of row ' .. r)
  end
  row.firstKey = key
  key = key + row.primaries
  arg = arg + 9
  for p = 1, n do
    -- A small row's period may have no group: no bitmap, so no user.
    local counted, groupCount = int(arg, 0), int(arg + 1, row.inPlace >= 2 and 0 or 1)
    if counted == nil or counted > 1 or groupCount == nil then
      return redis.error_reply('BITMAPIST_BADARG bad period ' .. p .. ' of row ' .. r)
    end
    local groups = {}
    for g = 1, groupCount do
      local size = int(arg + 1 + g, 1)
      if size == nil then return redis.error_reply('BITMAPIST_BADARG bad group size in row ' .. r) end
      groups[g] = { key, key + size - 1 }
      key = key + size
    end
    row.periods[p] = { counted = counted == 1, groups = groups }
    arg = arg + 2 + groupCount
  end
  if row.stage == 2 and row.inPlace < 2 and (row.group > 1 or row.key > 1) then
    local first = row.periods[1]
    if first == nil or row.group > #first.groups
        or row.key > first.groups[row.group][2] - first.groups[row.group][1] + 1 then
      return redis.error_reply('BITMAPIST_BADARG bad resume position in row ' .. r)
    end
  end
  rows[r] = row
end
if ARGV[arg] == 'segment' then
  if #ARGV < arg + rowCount or (#ARGV > arg + rowCount and ARGV[arg + rowCount + 1] ~= 'lengths') then
    return redis.error_reply('BITMAPIST_BADARG one segment kind per row expected')
  end
  for r = 1, rowCount do
    local kind = int(arg + r, 0)
    if kind == nil or kind > 2 then return redis.error_reply('BITMAPIST_BADARG bad segment kind of row ' .. r) end
    if kind > 0 then
      rows[r].segment = { key = KEYS[key], scratch = kind == 2 }
      key = key + 1
    end
  end
  arg = arg + rowCount + 1
end
if ARGV[arg] == 'lengths' then
  arg = arg + 1
  for r, row in ipairs(rows) do
    if row.inPlace < 2 then
      return redis.error_reply('BITMAPIST_BADARG lengths are for small rows only')
    end
    row.lengths = {}
    for p = 1, #row.periods do
      local length = int(arg, 0)
      if length == nil then return redis.error_reply('BITMAPIST_BADARG bad length of period ' .. p .. ' of row ' .. r) end
      row.lengths[p] = length
      arg = arg + 1
    end
  end
end
for r, row in ipairs(rows) do
  if row.stage == 1 and row.key > row.primaries and not row.segment then
    return redis.error_reply('BITMAPIST_BADARG malformed header of row ' .. r)
  end
end
if arg - 1 ~= #ARGV or key + 4 ~= #KEYS then
  return redis.error_reply('BITMAPIST_BADARG keys or arguments do not match the rows')
end
local P, U, C, G, T = KEYS[key], KEYS[key + 1], KEYS[key + 2], KEYS[key + 3], KEYS[key + 4]

-- The budget is wall time, read with TIME before each bitmap read: estimates of the work miss the allocator,
-- the Lua around each call and a busy machine, and what other clients wait for is time.
local started = rcall('TIME')
local function overBudget()
  local now = rcall('TIME')
  return (now[1] - started[1]) * 1000000 + (now[2] - started[2]) >= budget
end
-- A call always makes progress (a bitmap read or a row finished) before it may stop, so chains end.
local progressed = false
local reply = { rowCount + 1, 0, 0, 0, 0 }
local function stopAt(r, stage, p, g, k)
  reply[1], reply[2], reply[3], reply[4], reply[5] = r, stage, p, g, k
  for _, name in ipairs({ P, U, C, G }) do rcall('PEXPIRE', name, ttl) end
  return false
end

-- Copies the window [lo, hi] of bitmap `key` into `target`, zero-padded to the window's width; false (target
-- untouched) when the bitmap has no user in the window. Only from the bitmap's first set byte in the window
-- (BITPOS scans, copying costs ten times more).
local function copyWindow(row, key, target)
  local first = rcall('BITPOS', key, 1, row.lo, row.hi)
  if first < 0 then return false end
  local from = math.floor(first / 8)
  local bytes = rcall('GETRANGE', key, from, row.hi)
  if from == row.lo then
    rcall('SET', target, bytes)
  else
    rcall('DEL', target)
    rcall('SETRANGE', target, from - row.lo, bytes)
  end
  -- Zero-pad to the full width, so BITOP stays on its word-at-a-time path.
  if from + #bytes <= row.hi then rcall('SETRANGE', target, row.hi - row.lo, '\0') end
  return true
end

-- ORs bitmap k (its window [lo, hi], or the whole bitmap for a row worked in place) into dest; returns whether
-- dest now exists (`has`: whether it did before).
local function orWindow(row, k, dest, has)
  progressed = true
  if row.inPlace == 1 then
    -- A wide population (a window over half of its bitmaps): BITOP on a bitmap itself is cheaper than a copy.
    -- lo is 0, so every set lines up. Only a bitmap of exactly the window's length is used in place: BITOP
    -- goes byte by byte past its shortest operand, so any other is copied (and zero-padded) below.
    local length = rcall('STRLEN', KEYS[k])
    if length == 0 then return has end
    if length == row.hi + 1 then
      if has then rcall('BITOP', 'OR', dest, dest, KEYS[k]) else rcall('BITOP', 'OR', dest, KEYS[k]) end
      return true
    end
  end
  -- A bitmap without a user in the window is skipped like a missing one.
  if not copyWindow(row, KEYS[k], has and T or dest) then return has end
  if has then rcall('BITOP', 'OR', dest, dest, T) end
  return true
end

-- ANDs the row's segment (its window, or in place the bitmap itself when of the window's length) into P, which
-- exists; returns whether P may still hold users (false: P is gone, the segment has no user in the window).
local function andSegment(row)
  progressed = true
  local segment = row.segment
  if segment.scratch and rcall('PEXPIRE', segment.key, ttl) == 0 then
    return error({ err = 'BITMAPIST_STATE_LOST the segment expired before the next call' })
  end
  if row.inPlace == 1 and rcall('STRLEN', segment.key) == row.hi + 1 then
    rcall('BITOP', 'AND', P, P, segment.key)
  elseif copyWindow(row, segment.key, T) then
    rcall('BITOP', 'AND', P, P, T)
  else
    rcall('DEL', P)
    return false
  end
  return true
end

-- Works one row from its resume point; returns false (after recording where) when it stops.
local function work(r, row)
  local width = row.hi - row.lo + 1
  local remaining
  if row.stage == 0 then
    if progressed and overBudget() then return stopAt(r, 0, 0, 1, 1) end
    rcall('DEL', P, U, C, G, T)
    rcall('SETRANGE', U, width - 1, '\0')
  elseif rcall('EXISTS', U) == 0 then
    return error({ err = 'BITMAPIST_STATE_LOST the cohort state expired before the next call' })
  end
  if row.stage < 2 then
    local has = row.stage == 1 and rcall('EXISTS', P) == 1
    for k = row.key, row.primaries do
      if progressed and overBudget() then return stopAt(r, 1, 0, 1, k) end
      has = orWindow(row, row.firstKey + k - 1, P, has)
    end
    if has and row.segment then
      if progressed and overBudget() then return stopAt(r, 1, 0, 1, row.primaries + 1) end
      has = andSegment(row)
    end
    if not has then rcall('SETRANGE', P, width - 1, '\0') end
    remaining = rcall('BITCOUNT', P)
    reply[#reply + 1] = remaining
  else
    remaining = rcall('BITCOUNT', P)
  end
  for p, period in ipairs(row.periods) do
    local resuming = row.stage == 2 and p == 1 and (row.group > 1 or row.key > 1)
    local empty = remaining == 0
    for g = (resuming and row.group or 1), #period.groups do
      if empty then break end
      local range = period.groups[g]
      local from = (resuming and g == row.group) and row.key or 1
      -- G may hold an earlier group's set: only `has` says whether it holds this group's (kept in G's
      -- existence when the call stops half-way through the group).
      local has = from > 1 and rcall('EXISTS', G) == 1
      for k = range[1] + from - 1, range[2] do
        if progressed and overBudget() then
          if not has then rcall('DEL', G) end
          return stopAt(r, 2, p, g, k - range[1] + 1)
        end
        has = orWindow(row, k, G, has)
      end
      if not has then
        empty = true
      else
        rcall('BITOP', 'AND', C, g == 1 and P or C, G)
      end
    end
    local count = 0
    if mode == 'unbounded' then
      if not empty then rcall('BITOP', 'OR', U, U, C) end
      if period.counted then count = rcall('BITCOUNT', U) end
    elseif not empty then
      count = rcall('BITCOUNT', C)
      if mode == 'first' and count > 0 then
        rcall('BITOP', 'XOR', P, P, C)
        remaining = remaining - count
      end
    end
    if period.counted then reply[#reply + 1] = count end
  end
  if row.last == 0 then return stopAt(r, 2, #row.periods + 1, 1, 1) end
  rcall('DEL', P, U, C, G, T)
  progressed = true
  return true
end

-- Work done since the clock was last read (small rows only), in bytes BITOP goes through, a Redis call counted as
-- COMMAND_BYTES (about the time BITOP takes on that many): the clock is read about every 200 us of work.
local SMALL_CHECK_BYTES = 2097152
local PAD_AHEAD = 4
local COMMAND_BYTES = 16384
local unchecked = 0
local function smallOverBudget(bytes)
  unchecked = unchecked + bytes
  if not progressed or unchecked < SMALL_CHECK_BYTES then return false end
  unchecked = 0
  return overBudget()
end

-- Works a small row from its resume point (stage 0, or 2 at the start of a period; its primaries are sent either
-- way, and its key then says which state it left: 1 + (P holds the population ? 1 : 0) + (U holds the union ?
-- 2 : 0)); false when it stops. The population is the row's primary bitmap itself while nothing changed it (one
-- primary, no segment), else P.
local function workSmall(r, row)
  local width = row.hi + 1
  local pop, unionHeld, remaining
  if row.stage == 0 then
    if smallOverBudget(width * (row.primaries + 1) + 2 * COMMAND_BYTES) then return stopAt(r, 0, 0, 1, 1) end
    if row.primaries == 1 and not row.segment then
      pop = KEYS[row.firstKey]
    else
      local primaries = {}
      for k = row.firstKey, row.firstKey + row.primaries - 1 do primaries[#primaries + 1] = KEYS[k] end
      rcall('BITOP', 'OR', P, unpack(primaries))
      if row.segment then
        if row.segment.scratch and rcall('PEXPIRE', row.segment.key, ttl) == 0 then
          return error({ err = 'BITMAPIST_STATE_LOST the segment expired before the next call' })
        end
        rcall('BITOP', 'AND', P, P, row.segment.key)
      end
      pop = P
    end
    unionHeld = false
    remaining = rcall('BITCOUNT', pop)
    reply[#reply + 1] = remaining
    progressed = true
  else
    local state = row.key - 1
    pop = (state % 2 == 1) and P or KEYS[row.firstKey]
    unionHeld = state >= 2
    if (pop == P and rcall('EXISTS', P) == 0) or (unionHeld and rcall('EXISTS', U) == 0)
        or (pop ~= P and (row.primaries ~= 1 or row.segment)) then
      return error({ err = 'BITMAPIST_STATE_LOST the cohort state expired before the next call' })
    end
    remaining = rcall('BITCOUNT', pop)
  end
  local function state()
    return 1 + (pop == P and 1 or 0) + (unionHeld and 2 or 0)
  end
  -- Pads the population, as P, with zeros to at least the longest bitmap of period p, looking PAD_AHEAD periods
  -- ahead: BITOP goes word by word only as far as all its operands reach. Mode 'first' needs none: its XOR
  -- leaves P as long as the period it removed.
  local popLength
  local function padFor(p)
    if mode == 'first' or row.lengths == nil then return end
    local longest = row.lengths[p]
    if popLength ~= nil and longest <= popLength then return end
    for ahead = p + 1, math.min(p + PAD_AHEAD - 1, #row.periods) do longest = math.max(longest, row.lengths[ahead]) end
    if pop ~= P then
      rcall('COPY', pop, P, 'REPLACE')
      pop = P
    end
    popLength = popLength or rcall('STRLEN', P)
    if longest > popLength then
      rcall('SETRANGE', P, longest - 1, '\0')
      popLength = longest
    end
  end
  for p, period in ipairs(row.periods) do
    local keys = 0
    for _, range in ipairs(period.groups) do keys = keys + range[2] - range[1] + 1 end
    if smallOverBudget(width * (keys + 2) + 3 * COMMAND_BYTES) then return stopAt(r, 2, p, 1, state()) end
    local count = 0
    if remaining > 0 and #period.groups > 0 then
      -- C = the population AND each group: a single bitmap as itself, the first group of several ORed into G.
      padFor(p)
      local operands, others = { pop }, {}
      for _, range in ipairs(period.groups) do
        if range[1] == range[2] then operands[#operands + 1] = KEYS[range[1]] else others[#others + 1] = range end
      end
      local function orGroup(range)
        local group = {}
        for k = range[1], range[2] do group[#group + 1] = KEYS[k] end
        rcall('BITOP', 'OR', G, unpack(group))
      end
      if #others > 0 then
        orGroup(others[1])
        operands[#operands + 1] = G
      end
      rcall('BITOP', 'AND', C, unpack(operands))
      for o = 2, #others do
        orGroup(others[o])
        rcall('BITOP', 'AND', C, C, G)
      end
      if mode == 'unbounded' then
        if unionHeld then rcall('BITOP', 'OR', U, U, C) else rcall('BITOP', 'OR', U, C) end
        unionHeld = true
      else
        count = rcall('BITCOUNT', C)
        if mode == 'first' and count > 0 and not (row.last == 1 and p == #row.periods) then
          -- The population without this period's users (P written the first time; not after the row's last).
          rcall('BITOP', 'XOR', P, pop, C)
          pop = P
          remaining = remaining - count
        end
      end
    end
    if mode == 'unbounded' and period.counted and unionHeld then count = rcall('BITCOUNT', U) end
    if period.counted then reply[#reply + 1] = count end
    progressed = true
  end
  if row.last == 0 then return stopAt(r, 2, #row.periods + 1, 1, state()) end
  -- The next row writes over what it uses; the chain's last one deletes them.
  if r == #rows then rcall('DEL', P, U, C, G, T) end
  return true
end

local function run()
  for r, row in ipairs(rows) do
    local going
    if row.inPlace >= 2 then going = workSmall(r, row) else going = work(r, row) end
    if not going then return end
  end
end

local ok, failure = pcall(run)
if not ok then
  rcall('DEL', P, U, C, G, T)
  return redis.error_reply(type(failure) == 'table' and failure.err or tostring(failure))
end
return reply
