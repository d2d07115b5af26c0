-- bitmapist:evaluate - evaluate a bitmap expression (AND / OR / XOR / NOT of event bitmaps) in one call.
--
-- KEYS[1..L]    the event bitmaps the expression reads (L = ARGV[1])
-- KEYS[L+1..]   scratch keys, unique to this call; deleted before the script returns
-- ARGV[1]       L, the number of event bitmaps
-- ARGV[2]       what to return: 'count' | 'has' | 'bitmap' | 'length' (the longest bitmap read, in bytes;
--               nothing is evaluated or written)
-- ARGV[3]       the user id to test when ARGV[2] is 'has' (ignored otherwise)
-- ARGV[4]       time to live of the scratch keys in ms, a safety net should the script die half-way
-- ARGV[5]       the universe for NOT, in bytes: NOT x is every bit below 8 * ARGV[5] that is not in x;
--               '-1' means the longest bitmap read by the expression
-- ARGV[6..]     the expression in postfix, one token each:
--                 k<i>   push event bitmap KEYS[i]
--                 &<n>   pop n operands, push their AND      |<n>  OR      ^<n>  XOR
--                 !      pop one operand, push its complement
--
-- Returns       'count': the number of set bits; 'has': 1 or 0; 'bitmap': the resulting bytes ('' when empty);
--               'length': the byte length of the longest bitmap the expression reads
-- Errors        BITMAPIST_BADARG <why>   (the whole program is checked before the first write)
local rcall = redis.call

local leafCount = tonumber(ARGV[1])
local output = ARGV[2]
local ttl = tonumber(ARGV[4])
local universe = tonumber(ARGV[5])
local OPS = { ['&'] = 'AND', ['|'] = 'OR', ['^'] = 'XOR' }

if leafCount == nil or leafCount < 0 or leafCount > #KEYS then
  return redis.error_reply('BITMAPIST_BADARG bad event bitmap count')
end
if output ~= 'count' and output ~= 'has' and output ~= 'bitmap' and output ~= 'length' then
  return redis.error_reply('BITMAPIST_BADARG unknown output ' .. tostring(output))
end
if ttl == nil or ttl < 1 or universe == nil then
  return redis.error_reply('BITMAPIST_BADARG bad scratch ttl or universe')
end
local uid = 0
if output == 'has' then
  uid = tonumber(ARGV[3])
  if uid == nil or uid ~= math.floor(uid) or uid < 0 or uid > 4294967295 then
    return redis.error_reply('BITMAPIST_BADARG user id must be an integer in [0, 4294967295]')
  end
end

-- Check the program: every token well formed, the stack never underflows, one value remains,
-- and there are enough scratch keys for the deepest stack.
local program = {}
local depth, deepest = 0, 0
for i = 6, #ARGV do
  local token = ARGV[i]
  local head, arg = string.sub(token, 1, 1), tonumber(string.sub(token, 2))
  if head == 'k' then
    if arg == nil or arg < 1 or arg > leafCount then
      return redis.error_reply('BITMAPIST_BADARG bad key reference ' .. token)
    end
    depth = depth + 1
  elseif OPS[head] then
    if arg == nil or arg < 1 or arg > depth then
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
if depth ~= 1 then
  return redis.error_reply('BITMAPIST_BADARG the program must leave exactly one value')
end
if #KEYS - leafCount < deepest then
  return redis.error_reply('BITMAPIST_BADARG not enough scratch keys')
end

local function scratch(position)
  return KEYS[leafCount + position]
end

local function universeBytes()
  if universe < 0 then
    universe = 0
    for i = 1, leafCount do
      local length = rcall('STRLEN', KEYS[i])
      if length > universe then universe = length end
    end
  end
  return universe
end

if output == 'length' then
  universe = -1
  return universeBytes()
end

local stack = {}

-- BITOP over stack[from..to] into dest, in chunks: unpack() fails past a few thousand values.
local CHUNK = 1000
local function bitop(op, dest, from, to)
  local i = from
  local accumulated = false
  while i <= to do
    local j = math.min(to, i + CHUNK - 1)
    if accumulated then
      rcall('BITOP', op, dest, dest, unpack(stack, i, j))
    else
      rcall('BITOP', op, dest, unpack(stack, i, j))
    end
    accumulated = true
    i = j + 1
  end
end

local used = 0
for _, step in ipairs(program) do
  local head, arg = step[1], step[2]
  if head == 'k' then
    stack[#stack + 1] = KEYS[arg]
  else
    local first = #stack - (arg or 1) + 1
    local dest = scratch(first)
    if first > used then used = first end
    if head == '!' then
      local bytes = universeBytes()
      if stack[first] ~= dest then
        rcall('BITOP', 'OR', dest, stack[first])
      end
      if bytes > 0 then
        -- Grow the operand to the universe so NOT also covers the bits past its own end.
        if rcall('STRLEN', dest) < bytes then
          rcall('SETBIT', dest, bytes * 8 - 1, 0)
        end
        rcall('BITOP', 'NOT', dest, dest)
        if rcall('STRLEN', dest) > bytes then
          rcall('SET', dest, string.sub(rcall('GET', dest), 1, bytes))
        end
      else
        rcall('DEL', dest)
      end
    else
      bitop(OPS[head], dest, first, #stack)
    end
    rcall('PEXPIRE', dest, ttl)
    for j = #stack, first + 1, -1 do stack[j] = nil end
    stack[first] = dest
  end
end

local result = stack[1]
local reply
if output == 'count' then
  reply = rcall('BITCOUNT', result)
elseif output == 'has' then
  reply = rcall('GETBIT', result, uid)
else
  reply = rcall('GET', result) or ''
end

for i = 1, used do
  rcall('DEL', scratch(i))
end
return reply
