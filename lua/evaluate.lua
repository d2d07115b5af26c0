-- bitmapist:evaluate - evaluate a bitmap expression (AND / OR / XOR / NOT of event bitmaps) within a time budget.
--
-- KEYS[1..L]    the event bitmaps the expression reads (L = ARGV[1])
-- KEYS[L+1..]   scratch keys, one per stack position: an intermediate at stack position p lives in KEYS[L+p]
-- ARGV[1]       L, the number of event bitmaps
-- ARGV[2]       what to return: 'count' | 'has' | 'bitmap' | 'length' (the longest bitmap read, in bytes;
--               nothing is evaluated or written)
-- ARGV[3]       the user id to test when ARGV[2] is 'has' (ignored otherwise)
-- ARGV[4]       time to live of the scratch keys in ms, a safety net should a script die or a caller vanish
-- ARGV[5]       the universe for NOT, in bytes: NOT x is every bit below 8 * ARGV[5] that is not in x;
--               '-1' means the longest bitmap read by the expression
-- ARGV[6]       the budget of this call in estimated microseconds of Redis work ('0': no limit). When the next
--               step would exceed it, the call stops and replies 'more' (at least one step runs per call)
-- ARGV[7]       the step to resume at (1 to start)
-- ARGV[8]       the stack to resume with, comma-separated: E (empty), F (the whole universe), S (the scratch
--               key of that position), k<i> (KEYS[i]); '' to start
-- ARGV[9..]     the expression in postfix, one token each:
--                 k<i>   push event bitmap KEYS[i]
--                 &<n>   pop n operands, push their AND      |<n>  OR      ^<n>  XOR   (n may be 0)
--                 !      pop one operand, push its complement
--
-- Missing or empty bitmaps are never given to BITOP (Redis 7.0 leaves its word-at-a-time path for them):
-- values are E, F or a key, and E / F are folded symbolically. An operand much shorter than the longest is
-- padded with zeros in a scratch key (BITOP runs byte by byte past the shortest operand), and one BITOP
-- takes at most 16 keys, so BITOP stays on its fast path. 'has' reads one bit per bitmap and writes nothing.
--
-- Returns       'count' | 'has' | 'length': { 'done', n } (has: 1 or 0)
--               'bitmap': { 'done', count, 'B', universe, bytes } for a result of at most 256 KB, else
--                 { 'done', count, ref, universe } where ref is E, F, k<i> or S (the result is in KEYS[L+1],
--                 left for the caller to read with GETRANGE and delete)
--               { 'more', step, stack, universe } when the budget ran out: call again with ARGV[5] = universe,
--                 ARGV[7] = step, ARGV[8] = stack and the same keys; scratch keys hold the stack meanwhile
-- Errors        BITMAPIST_BADARG <why>   (the whole program is checked before the first write)
local rcall = redis.call

local leafCount = tonumber(ARGV[1])
local output = ARGV[2]
local ttl = tonumber(ARGV[4])
local universe = tonumber(ARGV[5])
local budget = tonumber(ARGV[6])
local resumeAt = tonumber(ARGV[7])
local OPS = { ['&'] = 'AND', ['|'] = 'OR', ['^'] = 'XOR' }
local FIRST_TOKEN = 9

if leafCount == nil or leafCount < 0 or leafCount > #KEYS then
  return redis.error_reply('BITMAPIST_BADARG bad event bitmap count')
end
if output ~= 'count' and output ~= 'has' and output ~= 'bitmap' and output ~= 'length' then
  return redis.error_reply('BITMAPIST_BADARG unknown output ' .. tostring(output))
end
if ttl == nil or ttl < 1 or universe == nil or budget == nil or budget < 0 then
  return redis.error_reply('BITMAPIST_BADARG bad scratch ttl, universe or budget')
end
local uid = 0
if output == 'has' then
  uid = tonumber(ARGV[3])
  if uid == nil or uid ~= math.floor(uid) or uid < 0 or uid > 4294967295 then
    return redis.error_reply('BITMAPIST_BADARG user id must be an integer in [0, 4294967295]')
  end
end

-- Check the program: every token well formed, the stack never underflows, one value remains,
-- and there is a scratch key for every stack position.
local program, depthBefore = {}, {}
local depth, deepest = 0, 0
for i = FIRST_TOKEN, #ARGV do
  local token = ARGV[i]
  local head, arg = string.sub(token, 1, 1), tonumber(string.sub(token, 2))
  depthBefore[#program + 1] = depth
  if head == 'k' then
    if arg == nil or arg < 1 or arg > leafCount or arg ~= math.floor(arg) then
      return redis.error_reply('BITMAPIST_BADARG bad key reference ' .. token)
    end
    depth = depth + 1
  elseif OPS[head] then
    if arg == nil or arg < 0 or arg > depth or arg ~= math.floor(arg) then
      return redis.error_reply('BITMAPIST_BADARG bad operand count ' .. token)
    end
    depth = depth - arg + 1
  elseif token == '!' then
    if depth < 1 then
      return redis.error_reply('BITMAPIST_BADARG NOT without operand')
    end
  else
    return redis.error_reply('BITMAPIST_BADARG unknown token ' .. token)
  end
  if depth > deepest then deepest = depth end
  program[#program + 1] = { head, arg }
end
depthBefore[#program + 1] = depth
if depth ~= 1 then
  return redis.error_reply('BITMAPIST_BADARG the program must leave exactly one value')
end
if #KEYS - leafCount < deepest then
  return redis.error_reply('BITMAPIST_BADARG not enough scratch keys')
end

local function scratch(position)
  return KEYS[leafCount + position]
end

-- The stack to resume with: checked like the program.
local stack = {}
if resumeAt == nil or resumeAt < 1 or resumeAt > #program + 1 then
  return redis.error_reply('BITMAPIST_BADARG bad resume step')
end
for token in string.gmatch(ARGV[8] or '', '[^,]+') do
  local index = tonumber(string.sub(token, 2))
  if token == 'E' or token == 'F' then
    stack[#stack + 1] = { kind = token }
  elseif token == 'S' then
    stack[#stack + 1] = { kind = 'S', key = scratch(#stack + 1) }
  elseif string.sub(token, 1, 1) == 'k' and index and index >= 1 and index <= leafCount then
    stack[#stack + 1] = { kind = 'K', key = KEYS[index], ref = token }
  else
    return redis.error_reply('BITMAPIST_BADARG bad resume stack ' .. token)
  end
end
if #stack ~= depthBefore[resumeAt] then
  return redis.error_reply('BITMAPIST_BADARG the resume stack does not fit the step')
end

-- STRLEN also fails on a key of another type here, before any write.
local longest = 0
for i = 1, leafCount do
  local length = rcall('STRLEN', KEYS[i])
  if length > longest then longest = length end
end
if universe < 0 then universe = longest end
if output == 'length' then
  return { 'done', universe }
end

if output == 'has' then
  -- Membership needs no BITOP: evaluate the program on the user's bit of every leaf.
  local bits = {}
  local inUniverse = uid < universe * 8
  for _, step in ipairs(program) do
    local head, arg = step[1], step[2]
    if head == 'k' then
      bits[#bits + 1] = rcall('GETBIT', KEYS[arg], uid) == 1
    elseif head == '!' then
      bits[#bits] = inUniverse and not bits[#bits]
    else
      local first = #bits - arg + 1
      local value = head == '&' and inUniverse -- AND of nothing is the universe; OR and XOR of nothing are empty
      for j = first, #bits do
        if head == '&' then value = value and bits[j]
        elseif head == '|' then value = value or bits[j]
        else value = value ~= bits[j] end
        bits[j] = nil
      end
      bits[first] = value
    end
  end
  return { 'done', bits[1] and 1 or 0 }
end

-- Estimated Redis work, in microseconds per byte (measured on Redis 7.0: BITOP's fast path, COPY plus
-- zero padding, BITCOUNT, a GET returned through Lua).
local BITOP_RATE, PAD_RATE, COUNT_RATE, INLINE_RATE = 0.0001, 0.00012, 0.00028, 0.0018
-- BITOP's byte-by-byte path, per byte and key: an operand shorter than the longest by less than
-- PAD_RATE * target / (SLOW_RATE * keys) bytes costs less left short than padded.
local SLOW_RATE = 0.00125
local MAX_BITOP_KEYS = 16 -- more source keys leave BITOP's fast path
local INLINE_BYTES = 262144 -- a 'bitmap' result up to this size is returned in the reply

-- The shortfall (bytes) below which an operand of an n-key BITOP over `target` bytes is left unpadded.
local function tolerance(target, keys)
  return math.floor(PAD_RATE * target / (SLOW_RATE * keys))
end

local function lengthOf(value)
  if value.kind == 'K' or value.kind == 'S' then return rcall('STRLEN', value.key) end
  return 0
end

-- Replaces the value at stack position p by the same bits padded with zeros to `target` bytes, unless it
-- lacks at most `tolerance` bytes.
local function pad(p, target, tolerance)
  local value = stack[p]
  if lengthOf(value) >= target - tolerance then return end
  if value.kind == 'K' then
    rcall('COPY', value.key, scratch(p), 'REPLACE')
    stack[p] = { kind = 'S', key = scratch(p) }
  end
  rcall('SETRANGE', scratch(p), target - 1, '\0')
  rcall('PEXPIRE', scratch(p), ttl)
end

-- The complement of the value at position p within the universe (grown to cover the value, should marks
-- have extended a bitmap since the universe was measured).
local function complement(p)
  local value = stack[p]
  if value.kind == 'E' then stack[p] = { kind = 'F' } return end
  if value.kind == 'F' then stack[p] = { kind = 'E' } return end
  local target = math.max(universe, lengthOf(value))
  if target == 0 then stack[p] = { kind = 'E' } return end
  pad(p, target, 0)
  rcall('BITOP', 'NOT', scratch(p), stack[p].key)
  rcall('PEXPIRE', scratch(p), ttl)
  stack[p] = { kind = 'S', key = scratch(p) }
end

-- Moves the value at position from to position to (a scratch key follows its position).
local function move(from, to)
  local value = stack[from]
  if from ~= to and value.kind == 'S' then
    rcall('RENAME', value.key, scratch(to))
    value = { kind = 'S', key = scratch(to) }
  end
  stack[to] = value
end

-- AND / OR / XOR of positions first..#stack into position first.
local function combine(head, first)
  local keyed, fulls, empties = {}, 0, 0
  for p = first, #stack do
    local kind = stack[p].kind
    if kind == 'F' then fulls = fulls + 1
    elseif kind == 'E' then empties = empties + 1
    else keyed[#keyed + 1] = p end
  end
  local kept, symbolic -- the position whose scratch key survives the step, or a symbolic result
  if (head == '&' and empties > 0) or (head == '|' and fulls > 0) then
    symbolic = { kind = head == '&' and 'E' or 'F' }
  elseif #keyed == 0 then
    symbolic = { kind = ((head == '&') or (head == '^' and fulls % 2 == 1)) and 'F' or 'E' }
  elseif #keyed == 1 then
    kept = keyed[1]
  else
    local target = 0
    for _, p in ipairs(keyed) do target = math.max(target, lengthOf(stack[p])) end
    local tolerated = tolerance(target, #keyed)
    for _, p in ipairs(keyed) do pad(p, target, tolerated) end
    local sources = {}
    for _, p in ipairs(keyed) do sources[#sources + 1] = stack[p].key end
    local dest, i = scratch(first), 1
    while i <= #sources do
      local j = math.min(#sources, i + MAX_BITOP_KEYS - (i == 1 and 1 or 2))
      if i == 1 then
        rcall('BITOP', OPS[head], dest, unpack(sources, i, j))
      else
        rcall('BITOP', OPS[head], dest, dest, unpack(sources, i, j))
      end
      i = j + 1
    end
    rcall('PEXPIRE', dest, ttl)
    stack[first] = { kind = 'S', key = dest }
    kept = first
  end
  for p = #stack, first, -1 do
    if p ~= kept and stack[p].kind == 'S' then rcall('DEL', stack[p].key) end
  end
  if kept then move(kept, first) else stack[first] = symbolic end
  for p = #stack, first + 1, -1 do stack[p] = nil end
  if head == '^' and #keyed > 0 and fulls % 2 == 1 then complement(first) end
end

-- The estimated cost of a step, from the lengths of its operands.
local function costOf(step)
  local head, arg = step[1], step[2]
  if head == 'k' then return 0 end
  local first = #stack - (arg or 1) + 1
  local lengths, target, fulls, empties = {}, 0, 0, 0
  for p = first, #stack do
    local kind = stack[p].kind
    if kind == 'F' then fulls = fulls + 1
    elseif kind == 'E' then empties = empties + 1
    else
      lengths[#lengths + 1] = lengthOf(stack[p])
      target = math.max(target, lengths[#lengths])
    end
  end
  if #lengths == 0 or (head == '&' and empties > 0) or (head == '|' and fulls > 0) then return 0 end
  local whole = math.max(target, universe)
  if head == '!' then
    return (target < whole and PAD_RATE * whole or 0) + BITOP_RATE * 2 * whole
  end
  local cost = 0
  if #lengths > 1 then
    local tolerated = tolerance(target, #lengths)
    for _, length in ipairs(lengths) do
      local shortfall = target - length
      cost = cost + (shortfall > tolerated and PAD_RATE * target or SLOW_RATE * #lengths * shortfall)
    end
    cost = cost + BITOP_RATE * (#lengths + 1) * target
  end
  if head == '^' and fulls % 2 == 1 then cost = cost + PAD_RATE * whole + BITOP_RATE * 2 * whole end
  return cost
end

local function reference(value)
  if value.kind == 'K' then return value.ref end
  return value.kind
end

local function pause(step)
  local refs = {}
  for p, value in ipairs(stack) do refs[p] = reference(value) end
  return { 'more', step, table.concat(refs, ','), universe }
end

local spent = 0
for index = resumeAt, #program do
  local step = program[index]
  local head, arg = step[1], step[2]
  if head == 'k' then
    local key = KEYS[arg]
    stack[#stack + 1] = rcall('STRLEN', key) > 0 and { kind = 'K', key = key, ref = 'k' .. arg } or { kind = 'E' }
  else
    local cost = costOf(step)
    if budget > 0 and spent > 0 and spent + cost > budget then return pause(index) end
    spent = spent + cost
    if head == '!' then complement(#stack) else combine(head, #stack - arg + 1) end
  end
end

local result = stack[1]
if result.kind == 'F' and universe == 0 then result = { kind = 'E' } end
local length = lengthOf(result)
local outputCost = COUNT_RATE * length
if output == 'bitmap' and length <= INLINE_BYTES then outputCost = outputCost + INLINE_RATE * length end
if budget > 0 and spent > 0 and spent + outputCost > budget then return pause(#program + 1) end
local count = 0
if result.kind == 'F' then
  count = universe * 8
elseif result.kind ~= 'E' then
  count = rcall('BITCOUNT', result.key)
end
if output == 'count' then
  if result.kind == 'S' then rcall('DEL', result.key) end
  return { 'done', count }
end
if length > 0 and length <= INLINE_BYTES then
  local bytes = rcall('GET', result.key)
  if result.kind == 'S' then rcall('DEL', result.key) end
  return { 'done', count, 'B', universe, bytes }
end
return { 'done', count, reference(result), universe }
