-- bitmapist:run_program - runs a program of bitmap operations on registers within a time budget. Registers are
-- scratch keys holding the same byte window [lo, hi] of bitmaps (zero-padded to its full width, so BITOP stays
-- on its word-at-a-time path), or no key at all for a register that holds no user: such a register is never
-- given to BITOP (an AND with it is empty, an OR copies the other operand), so periods without data cost
-- nothing. A call runs instructions until its budget is spent and answers where it stopped; the registers keep
-- the state for the next call, which sends the program from there.
--
-- KEYS[1..L]     the bitmaps the program reads (L = ARGV[1]); missing ones read as empty
-- KEYS[L+1..]    the registers, scratch keys of this program (all keys of a call share one hash slot); the last
--                three are the script's temporaries, never named by an instruction
-- ARGV[1]        L, the number of bitmaps
-- ARGV[2], [3]   lo, hi: the window, in bytes (0 <= lo <= hi); every register holds hi - lo + 1 bytes.
--                lo = -1: the whole bitmaps, lo = 0 and hi = the end of the longest of KEYS[1..L] (nothing to
--                do when they are all missing or empty: every count is 0). A program's first call (ARGV[6] =
--                1) given a window over half as wide as the longest bitmap also takes the whole bitmaps: a
--                bitmap is then read in place (or COPYed), not copied through Lua, which costs far more
-- ARGV[4]        time to live of the registers in ms (a safety net: the caller deletes them when done)
-- ARGV[5]        the budget of this call in microseconds (at least 1): the call stops before an instruction
--                that would end past it, estimated from the bytes it touches at the rate the call has worked
--                so far (at least one instruction runs per call)
-- ARGV[6]        the number of the first instruction sent (1 for a new program), for the reply
-- ARGV[7]        the most bytes the registers may hold together (width times registers), checked first
-- ARGV[8..]      instructions; r is a register (1-based), k a bitmap (1-based), x an operand: a register r,
--                or a bitmap k written -k (read where it is when the window is the whole bitmaps and it is
--                about as long as the other operands of its BITOP, else copied into a temporary first: see
--                worthReading):
--                  L r k     load: r = the window of KEYS[k]
--                  Z r       r = no user
--                  & r x y   r = x AND y        | r x y   OR        ^ r x y   XOR
--                  - r x y   r = x AND NOT y
--                  O r n x1 .. xn   r = the OR of n operands (n >= 1)
--                  ! r x     r = NOT x (the complement within the window)
--                  # r       output the number of users in r
--                  K k       output the number of users of KEYS[k] in the window (no copy)
--                  ? r n     when r holds no user: skip the next n instructions, outputting 0 for each # or K
--
-- Returns        { next, lo, hi, outputs... }: the number of the next instruction to run (past the last: done),
--                the window used (the next calls of the program send it, so all calls work on one window; hi =
--                -1 when every bitmap is missing), then one value per # or K run (or skipped) in this call
-- Errors         BITMAPIST_BADARG <why> (the instructions sent are checked before the first write)
--                BITMAPIST_LIMIT <bytes>: the registers would hold more than ARGV[7] bytes (nothing written)
--
-- Costs at 1.25 MB (10 million ids): a load 30 us (COPY, and a SETRANGE to pad a shorter bitmap), a BITOP of
-- two registers about 100 us, a count 250 us (BITPOS first skips leading zeros at a fifth of that); a count of
-- 0 also frees its register, so what follows from it costs nothing.
local rcall = redis.call

local leafCount = tonumber(ARGV[1])
local lo, hi = tonumber(ARGV[2]), tonumber(ARGV[3])
local ttl, budget, first, maxBytes = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
if maxBytes == nil or maxBytes < 0 or leafCount == nil or leafCount < 0 or leafCount > #KEYS or lo == nil or hi == nil or (lo < 0 and lo ~= -1)
    or (lo >= 0 and hi < lo) or ttl == nil or ttl < 1 or budget == nil or budget < 1 or first == nil or first < 1 then
  return redis.error_reply('BITMAPIST_BADARG malformed run_program header')
end
local registers = #KEYS - leafCount
-- The program's registers; the TEMPORARIES after them are the script's: T (for AND NOT) and the copy slots M.
local TEMPORARIES = 3
local named = registers - TEMPORARIES
if named < 1 then return redis.error_reply('BITMAPIST_BADARG no register') end
-- Fixed arities; O's is 2 + its n.
local ARITY = { L = 2, Z = 1, ['&'] = 3, ['|'] = 3, ['^'] = 3, ['-'] = 3, ['!'] = 2, ['#'] = 1, K = 1, ['?'] = 2, O = 2 }
local COUNTS = { ['#'] = true, K = true }

-- Parse and check every instruction before any write. Each operand position is one of: 'r' a register,
-- 'k' a bitmap, 'x' a register or a negated bitmap, 'n' a count.
local KINDS = { L = 'rk', Z = 'r', ['&'] = 'rxx', ['|'] = 'rxx', ['^'] = 'rxx', ['-'] = 'rxx', ['!'] = 'rx', ['#'] = 'r', K = 'k', ['?'] = 'rn', O = 'rn' }
local program = {}
local i = 8
while i <= #ARGV do
  local op = ARGV[i]
  local kinds = KINDS[op]
  if kinds == nil then return redis.error_reply('BITMAPIST_BADARG unknown instruction ' .. tostring(op)) end
  local at = first + #program
  local args = {}
  for a = 1, #kinds do
    local v = tonumber(ARGV[i + a])
    if v == nil or v ~= math.floor(v) then return redis.error_reply('BITMAPIST_BADARG bad operand of instruction ' .. at) end
    args[a] = v
  end
  if op == 'O' then
    if args[2] < 1 then return redis.error_reply('BITMAPIST_BADARG bad operand count of instruction ' .. at) end
    for a = 3, 2 + args[2] do
      local v = tonumber(ARGV[i + a])
      if v == nil or v ~= math.floor(v) then return redis.error_reply('BITMAPIST_BADARG bad operand of instruction ' .. at) end
      args[a] = v
    end
    kinds = 'rn' .. string.rep('x', args[2])
  end
  for a = 1, #kinds do
    local kind, v = kinds:sub(a, a), args[a]
    local ok = (kind == 'r' and v >= 1 and v <= named) or (kind == 'k' and v >= 1 and v <= leafCount) or (kind == 'n' and v >= 0)
      or (kind == 'x' and ((v >= 1 and v <= named) or (v <= -1 and -v <= leafCount)))
    if not ok then return redis.error_reply('BITMAPIST_BADARG bad operand ' .. a .. ' of instruction ' .. at) end
  end
  program[#program + 1] = { op, args }
  i = i + #kinds + 1
end

local reply = { first + #program, 0, 0 }
-- The byte length of each bitmap, asked once per call (it does not change during a call).
local lengths = {}
if lo == -1 or first == 1 then
  -- The end of the longest bitmap: the whole window, or the test of a given one's width.
  local longest = 0
  for k = 1, leafCount do
    local length = rcall('STRLEN', KEYS[k])
    lengths[k] = length
    if length > longest then longest = length end
  end
  if lo == -1 or (hi - lo + 1) * 2 > longest then
    lo, hi = 0, math.max(longest - 1, lo == -1 and -1 or hi)
  end
  if hi < 0 then
    -- No bitmap has a byte: every count is 0, and no register is written.
    reply[2], reply[3] = 0, -1
    for _, instruction in ipairs(program) do
      if COUNTS[instruction[1]] then reply[#reply + 1] = 0 end
    end
    return reply
  end
end
local width = hi - lo + 1
reply[2], reply[3] = lo, hi
if width * registers > maxBytes then
  return redis.error_reply('BITMAPIST_LIMIT ' .. width * registers)
end

local function register(r)
  return KEYS[leafCount + r]
end
local T, M = register(named + 1), {}
for j = 2, TEMPORARIES do M[#M + 1] = register(named + j) end
-- Whether a register holds users (a key): read once per call, then kept up to date. Every register that
-- holds a key holds exactly `width` bytes.
local held = {}
local function holds(r)
  if held[r] == nil then held[r] = rcall('EXISTS', register(r)) == 1 end
  return held[r]
end
-- Registers deleted in this call: memory the allocator hands out again at once (see `fresh`).
local spare = 0
local function clear(r)
  if holds(r) then
    rcall('DEL', register(r))
    spare = spare + 1
  end
  held[r] = false
end
-- Zero-pads `name` (of `length` bytes) to `to` bytes (the width unless said).
local function pad(name, length, to)
  to = to or width
  if length < to then rcall('SETRANGE', name, to - 1, '\0') end
end
local function lengthOf(k)
  if lengths[k] == nil then lengths[k] = rcall('STRLEN', KEYS[k]) end
  return lengths[k]
end
-- Whether a bitmap `shortfall` bytes shorter than the longest operand of a BITOP of `keys` operands, whose
-- result is `target` bytes, is best read where it is: BITOP runs word at a time only up to its shortest operand,
-- then byte at a time over every operand (about 0.7 ns per byte and operand at 1.25 MB), while a COPY padded
-- with zeros costs about 0.1 ns per byte of the result (0.04 when the bitmap is in the CPU's cache) plus a
-- microsecond or two a call (Redis 7.0, measured).
local function worthReading(shortfall, keys, target)
  return shortfall * keys * 7 <= target + 20000
end
-- Whether bitmap k may be read where it is by a BITOP of two operands whose result is the width: the window is
-- the whole bitmaps, and it is long enough (see worthReading).
local function inPlace(k)
  local length = lengthOf(k)
  return lo == 0 and length <= width and worthReading(width - length, 2, width)
end

-- Copies the window of bitmap k into `name`, zero-padded to the width (or to `to`, at least its length, when the
-- whole bitmap fits the window); answers the length written, or false (name untouched) when it holds no byte
-- there.
local function loadInto(k, name, to)
  local length = lo == 0 and lengthOf(k) or -1
  if length == 0 then return false end
  if length > 0 and length <= width then
    -- The whole bitmap fits the window: copied by Redis.
    to = math.max(to or width, length)
    rcall('COPY', KEYS[k], name, 'REPLACE')
    pad(name, length, to)
    return to
  end
  local bytes = rcall('GETRANGE', KEYS[k], lo, hi)
  if #bytes == 0 then return false end
  rcall('SET', name, bytes)
  pad(name, #bytes)
  return width
end

-- An operand's key and length (nil when it holds no user): a register, a bitmap in place, or a bitmap copied
-- into temporary `slot` (1 or 2).
local function source(x, slot)
  if x > 0 then
    if holds(x) then return register(x), width end
    return nil
  end
  local k = -x
  if lengthOf(k) == 0 then return nil end
  if inPlace(k) then return KEYS[k], lengthOf(k) end
  if loadInto(k, M[slot]) then return M[slot], width end
  return nil
end

-- r = a copy of `name` (of `length` bytes), unless it is r itself.
local function copyInto(r, name, length)
  if name ~= register(r) then
    rcall('COPY', name, register(r), 'REPLACE')
    pad(register(r), length)
  end
  held[r] = true
end

-- r = BITOP op of sources (their names and the longest length), padded to the width.
local function bitop(op, r, names, longest)
  rcall('BITOP', op, register(r), unpack(names))
  pad(register(r), longest)
  held[r] = true
end

-- Whether bitmap k is read where it is, or copied through GETRANGE: it fits the window (whole bitmaps).
local function fits(k)
  return lo == 0 and lengthOf(k) <= width
end

-- BITOP takes its word-at-a-time path for at most 16 operands.
local MAX_BITOP_KEYS = 16

-- r = the OR of operands xs, in as few BITOPs as the word-at-a-time path allows (16 operands each): registers
-- and the longest bitmaps read where they are; a bitmap much shorter than the result (worthReading) copied
-- into a copy slot first, zero-padded to the result's length, so that no BITOP runs byte at a time for long.
local function orInto(r, xs)
  -- The operands that hold users: registers (the width) first, r itself before any (it is read by the first
  -- BITOP, before that one writes it), then bitmaps from the longest.
  local regs, maps = {}, {}
  for _, x in ipairs(xs) do
    if x > 0 then
      if holds(x) then table.insert(regs, x == r and 1 or #regs + 1, register(x)) end
    elseif lengthOf(-x) > 0 then
      maps[#maps + 1] = -x
    end
  end
  table.sort(maps, function(a, b) return lengthOf(a) > lengthOf(b) end)
  local has = false
  local nextReg, nextMap = 1, 1
  while nextReg <= #regs or nextMap <= #maps do
    -- One BITOP: r so far, registers, then bitmaps; at most MAX_BITOP_KEYS keys and #M copies. `longest`: the
    -- length of its longest operand, so of its result.
    local names, longest = {}, 0
    if has then names[1], longest = register(r), width end
    while nextReg <= #regs and #names < MAX_BITOP_KEYS do
      names[#names + 1], longest = regs[nextReg], width
      nextReg = nextReg + 1
    end
    -- The result's length: the width once a register (or r) is in, else the longest bitmap left when it fits.
    local target = width
    if #names == 0 and fits(maps[nextMap]) then target = lengthOf(maps[nextMap]) end
    local keys = math.min(MAX_BITOP_KEYS, #names + #maps - nextMap + 1)
    local copies = 0
    while nextMap <= #maps and #names < MAX_BITOP_KEYS do
      local k = maps[nextMap]
      if fits(k) and worthReading(target - lengthOf(k), keys, target) then
        names[#names + 1] = KEYS[k]
        longest = math.max(longest, lengthOf(k))
      elseif copies < #M then
        copies = copies + 1
        local length = loadInto(k, M[copies], target)
        if length then
          names[#names + 1] = M[copies]
          longest = math.max(longest, length)
        end
      else
        break
      end
      nextMap = nextMap + 1
    end
    if #names == 1 and not has then
      copyInto(r, names[1], longest)
    elseif #names > 1 then
      bitop('OR', r, names, longest)
    end
    if #names > 0 then has = true end
  end
  if not has then clear(r) end
end

-- The users in register r (from its first set byte: BITPOS skips zeros faster than BITCOUNT counts them); an
-- empty register is deleted, so what follows from it costs nothing. `any`: only whether it has one (0 or 1).
local function countRegister(r, any)
  if not holds(r) then return 0 end
  local first = rcall('BITPOS', register(r), 1)
  if first < 0 then
    clear(r)
    return 0
  end
  if any then return 1 end
  return rcall('BITCOUNT', register(r), math.floor(first / 8), -1)
end

local started = rcall('TIME')
local function elapsed()
  local now = rcall('TIME')
  return (now[1] - started[1]) * 1000000 + (now[2] - started[2])
end
-- Instructions that write their first operand, a register.
local WRITES = { L = true, ['&'] = true, ['|'] = true, ['^'] = true, ['-'] = true, O = true, ['!'] = true }
-- Whether instruction pc may start only a call: it writes a register that holds no key, so takes fresh memory,
-- which on some machines costs as much as the whole budget (page faults); a call running it late could last
-- twice its budget. Such an instruction waits for the next call unless the call has hardly begun.
local function fresh(pc)
  local op, a = program[pc][1], program[pc][2]
  return WRITES[op] and width >= 65536 and not holds(a[1]) and spare == 0
end

-- Bytes an instruction reads and writes at most (whole windows): its time is estimated from them.
local function bytesOf(pc)
  local op, a = program[pc][1], program[pc][2]
  if op == 'O' then return (#a - 1) * width end
  if op == '&' or op == '|' or op == '^' then return 3 * width end
  if op == '-' then return 5 * width end
  if op == 'L' or op == '!' then return 2 * width end
  if op == 'Z' then return 0 end
  return width
end
-- Microseconds per byte assumed until this call has worked a window's worth (about 5 GB/s), and the least.
local ASSUMED_RATE, LEAST_RATE = 0.0002, 0.00005
-- The clock is read before the second instruction, then once CHECK_BYTES of work or CHECK_INSTRUCTIONS
-- instructions have passed since the last reading (small instructions cost less than reading it), and before
-- every instruction of that size or that takes fresh memory.
local CHECK_BYTES, CHECK_INSTRUCTIONS = 262144, 16
local worked, checkedAt, unchecked = 0, 0, 0

local pc = 1
while pc <= #program do
  local bytes = bytesOf(pc)
  unchecked = unchecked + 1
  if pc > 1 and (pc == 2 or unchecked >= CHECK_INSTRUCTIONS or worked - checkedAt + bytes >= CHECK_BYTES or fresh(pc)) then
    -- Stop before an instruction that would end past the budget, at the rate this call has shown so far: a
    -- slow machine (or fresh memory) makes calls shorter rather than longer.
    local spent = elapsed()
    checkedAt, unchecked = worked, 0
    local rate = worked >= width and math.max(spent / worked, LEAST_RATE) or ASSUMED_RATE
    if spent + bytes * rate > budget or (fresh(pc) and spent >= budget / 8) then
      reply[1] = first + pc - 1
      break
    end
  end
  worked = worked + bytes
  local op, a = program[pc][1], program[pc][2]
  local writesNew = WRITES[op] and not holds(a[1])
  if op == 'L' then
    if loadInto(a[2], register(a[1])) then held[a[1]] = true else clear(a[1]) end
  elseif op == 'Z' then
    clear(a[1])
  elseif op == '&' then
    local x, xLength = source(a[2], 1)
    local y, yLength
    if x then y, yLength = source(a[3], 2) end
    if x and y then bitop('AND', a[1], { x, y }, math.max(xLength, yLength)) else clear(a[1]) end
  elseif op == '|' then
    orInto(a[1], { a[2], a[3] })
  elseif op == 'O' then
    orInto(a[1], { unpack(a, 3) })
  elseif op == '^' then
    local x, xLength = source(a[2], 1)
    local y, yLength = source(a[3], 2)
    if x and y then
      bitop('XOR', a[1], { x, y }, math.max(xLength, yLength))
    elseif x or y then
      copyInto(a[1], x or y, x and xLength or yLength)
    else
      clear(a[1])
    end
  elseif op == '-' then
    local x, xLength = source(a[2], 1)
    local y, yLength
    if x then y, yLength = source(a[3], 2) end
    if not x then
      clear(a[1])
    elseif not y then
      copyInto(a[1], x, xLength)
    else
      rcall('BITOP', 'AND', T, x, y)
      bitop('XOR', a[1], { x, T }, math.max(xLength, yLength))
    end
  elseif op == '!' then
    -- The complement of the full width: a shorter bitmap is copied and padded first.
    local x = a[2] < 0 and inPlace(-a[2]) and lengthOf(-a[2]) < width and (loadInto(-a[2], M[1]) and M[1]) or source(a[2], 1)
    if x then
      rcall('BITOP', 'NOT', register(a[1]), x)
    else
      -- Every user of the window: the complement of zeros.
      clear(a[1])
      rcall('SETRANGE', register(a[1]), width - 1, '\0')
      rcall('BITOP', 'NOT', register(a[1]), register(a[1]))
    end
    held[a[1]] = true
  elseif op == '#' then
    reply[#reply + 1] = countRegister(a[1])
  elseif op == 'K' and lengthOf(a[1]) <= lo then
    reply[#reply + 1] = 0
  elseif op == 'K' then
    local first = rcall('BITPOS', KEYS[a[1]], 1, lo, hi)
    reply[#reply + 1] = first < 0 and 0 or rcall('BITCOUNT', KEYS[a[1]], math.floor(first / 8), hi)
  elseif op == '?' then
    if not holds(a[1]) or countRegister(a[1], true) == 0 then
      local skip = math.min(a[2], #program - pc)
      for s = pc + 1, pc + skip do
        if COUNTS[program[s][1]] then reply[#reply + 1] = 0 end
      end
      pc = pc + skip
    end
  end
  if writesNew and held[a[1]] and spare > 0 then spare = spare - 1 end
  pc = pc + 1
end
-- The temporaries too: the next call writes over them, reusing their memory (fresh memory costs far more).
for r = 1, registers do
  if r > named or held[r] then rcall('PEXPIRE', register(r), ttl) end
end
return reply
