-- bitmapist:run_program - runs a program of bitmap operations on registers within a time budget. Registers are
-- scratch keys holding the same byte window [lo, hi] of bitmaps (zero-padded to its full width, so BITOP stays
-- on its word-at-a-time path); a call runs instructions until its budget is spent and answers where it stopped,
-- and the registers keep the state for the next call, which sends the program from there.
--
-- KEYS[1..L]     the bitmaps the program reads (L = ARGV[1]); missing ones read as empty
-- KEYS[L+1..]    the registers, scratch keys of this program (all keys of a call share one hash slot)
-- ARGV[1]        L, the number of bitmaps
-- ARGV[2], [3]   lo, hi: the window, in bytes (0 <= lo <= hi); every register holds hi - lo + 1 bytes
-- ARGV[4]        time to live of the registers in ms (a safety net: the caller deletes them when done)
-- ARGV[5]        the budget of this call in microseconds (at least 1): past it, the call stops before its next
--                instruction (at least one instruction runs per call)
-- ARGV[6]        the number of the first instruction sent (1 for a new program), for the reply
-- ARGV[7..]      instructions, r a register, k a bitmap, both 1-based:
--                  L r k     load: r = the window of KEYS[k]
--                  Z r       r = zeros
--                  & d a b   d = a AND b        | d a b   OR        ^ d a b   XOR
--                  - d a b   d = a AND NOT b (the last register is its temporary: programs leave it alone)
--                  ! d a     d = NOT a (the complement within the window)
--                  # r       output the number of users in r
--                  ? r n     when r is empty: skip the next n instructions, outputting 0 for each # among them
--
-- Returns        { next, outputs... }: the number of the next instruction to run (past the last: done), then
--                one value per # run (or skipped) in this call
-- Errors         BITMAPIST_BADARG <why> (the instructions sent are checked before the first write)
local rcall = redis.call

local leafCount = tonumber(ARGV[1])
local lo, hi = tonumber(ARGV[2]), tonumber(ARGV[3])
local ttl, budget, first = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if leafCount == nil or leafCount < 0 or leafCount > #KEYS or lo == nil or hi == nil or lo < 0 or hi < lo
    or ttl == nil or ttl < 1 or budget == nil or budget < 1 or first == nil or first < 1 then
  return redis.error_reply('BITMAPIST_BADARG malformed run_program header')
end
local registers = #KEYS - leafCount
if registers < 1 then return redis.error_reply('BITMAPIST_BADARG no register') end
local width = hi - lo + 1
local ARITY = { L = 2, Z = 1, ['&'] = 3, ['|'] = 3, ['^'] = 3, ['-'] = 3, ['!'] = 2, ['#'] = 1, ['?'] = 2 }
local BITOPS = { ['&'] = 'AND', ['|'] = 'OR', ['^'] = 'XOR' }

-- Parse and check every instruction before any write.
local program = {}
local i = 7
while i <= #ARGV do
  local op = ARGV[i]
  local arity = ARITY[op]
  if arity == nil then return redis.error_reply('BITMAPIST_BADARG unknown instruction ' .. tostring(op)) end
  local args = {}
  for a = 1, arity do
    local v = tonumber(ARGV[i + a])
    if v == nil or v ~= math.floor(v) or v < 0 then
      return redis.error_reply('BITMAPIST_BADARG bad operand of instruction ' .. (first + #program))
    end
    args[a] = v
  end
  local registerOperands = arity
  if op == 'L' then
    registerOperands = 1
    if args[2] < 1 or args[2] > leafCount then return redis.error_reply('BITMAPIST_BADARG bad bitmap in instruction ' .. (first + #program)) end
  elseif op == '?' then
    registerOperands = 1
  end
  for a = 1, registerOperands do
    if args[a] < 1 or args[a] > registers then
      return redis.error_reply('BITMAPIST_BADARG bad register in instruction ' .. (first + #program))
    end
  end
  program[#program + 1] = { op, args }
  i = i + arity + 1
end
local function register(r)
  return KEYS[leafCount + r]
end
local T = register(registers)

local started = rcall('TIME')
local function overBudget()
  local now = rcall('TIME')
  return (now[1] - started[1]) * 1000000 + (now[2] - started[2]) >= budget
end

local function zeros(key)
  rcall('DEL', key)
  rcall('SETRANGE', key, width - 1, '\0')
end

local reply = { first + #program }
local pc = 1
while pc <= #program do
  if pc > 1 and overBudget() then
    reply[1] = first + pc - 1
    break
  end
  local op, a = program[pc][1], program[pc][2]
  if op == 'L' then
    local dest = register(a[1])
    local bytes = rcall('GETRANGE', KEYS[a[2]], lo, hi)
    if #bytes == 0 then
      zeros(dest)
    else
      rcall('SET', dest, bytes)
      if #bytes < width then rcall('SETRANGE', dest, width - 1, '\0') end
    end
  elseif op == 'Z' then
    zeros(register(a[1]))
  elseif BITOPS[op] then
    rcall('BITOP', BITOPS[op], register(a[1]), register(a[2]), register(a[3]))
  elseif op == '-' then
    rcall('BITOP', 'AND', T, register(a[2]), register(a[3]))
    rcall('BITOP', 'XOR', register(a[1]), register(a[2]), T)
  elseif op == '!' then
    rcall('BITOP', 'NOT', register(a[1]), register(a[2]))
  elseif op == '#' then
    reply[#reply + 1] = rcall('BITCOUNT', register(a[1]))
  elseif op == '?' then
    if rcall('BITCOUNT', register(a[1])) == 0 then
      local skip = math.min(a[2], #program - pc)
      for s = pc + 1, pc + skip do
        if program[s][1] == '#' then reply[#reply + 1] = 0 end
      end
      pc = pc + skip
    end
  end
  pc = pc + 1
end
for r = 1, registers do rcall('PEXPIRE', register(r), ttl) end
return reply
