#!lua flags=allow-cross-slot-keys
-- bitmapist:mark_node - set or clear the bits of the marks of several blocks in one call to the Cluster node
-- that serves them (sharded layout). A Cluster refuses a call whose declared keys span hash slots, and each
-- block is a slot of its own: the flag above (Redis 7) lets the script touch keys of any slot this node serves,
-- so only one bitmap is declared, to route the call, and every bitmap is named in ARGV.
--
-- KEYS[1]     a bitmap of the first block: the call goes to the node serving its slot
-- ARGV[1]     the bit to write: '1' marks, '0' unmarks
-- ARGV[2]     the largest bit offset allowed
-- ARGV[3]     number of blocks b (at least 1)
-- ARGV[4..]   b blocks, each: its number of bitmaps n (at least 1), its n bitmap names, its number of groups g
--             (at least 1), then g pairs as in mark_many.lua: the group's bitmaps as comma-separated 1-based
--             indexes into the block's bitmaps, then its bit offsets, comma-separated
--
-- Returns     { marks written (bit offsets over the groups written), then four values for each block or group
--             left out: the block's number (1-based, in ARGV order); the group's number, 0 for the whole block
--             when this node does not serve all its bitmaps now (its slot moved, or is moving: the caller sends
--             that block on its own); the 1-based index into the block's bitmaps of its first key at fault;
--             that key's type, or the node's error }. Redis has no rollback: every key is looked at before the
--             first write, and a block or group left out is left out whole.
-- Errors      BITMAPIST_BADARG <why>   (every block is checked before the first write)
local rcall = redis.call

local bit = ARGV[1]
local maxBit = tonumber(ARGV[2])
local blockCount = tonumber(ARGV[3])
if bit ~= '0' and bit ~= '1' then
  return redis.error_reply('BITMAPIST_BADARG bit must be 0 or 1')
end
if #KEYS ~= 1 or maxBit == nil or blockCount == nil or blockCount < 1 or blockCount ~= math.floor(blockCount) then
  return redis.error_reply('BITMAPIST_BADARG malformed batch header')
end

-- The integers of a comma-separated list (kept as strings), or nil unless each is canonical (digits, no
-- leading zero) and within [low, high].
local function integers(list, low, high)
  if list == nil or not string.find(list, '^%d[%d,]*$') or string.find(list, ',,', 1, true) or string.sub(list, -1) == ','
      or string.find(',' .. list, ',0%d') then
    return nil
  end
  local values = {}
  for text in string.gmatch(list, '%d+') do
    local value = tonumber(text)
    if value < low or value > high then return nil end
    values[#values + 1] = text
  end
  return values
end

-- Parse every block before any write: { bitmaps = { names }, groups = { { indexes, offsets } } }.
local blocks = {}
local at = 4
for b = 1, blockCount do
  local n = tonumber(ARGV[at])
  if n == nil or n < 1 or n ~= math.floor(n) or at + n + 1 > #ARGV then
    return redis.error_reply('BITMAPIST_BADARG malformed block ' .. b)
  end
  local bitmaps = {}
  for k = 1, n do bitmaps[k] = ARGV[at + k] end
  at = at + n + 1
  local g = tonumber(ARGV[at])
  if g == nil or g < 1 or g ~= math.floor(g) or at + 2 * g > #ARGV then
    return redis.error_reply('BITMAPIST_BADARG malformed block ' .. b)
  end
  local groups = {}
  for j = 1, g do
    local keys = integers(ARGV[at + 2 * j - 1], 1, n)
    if keys == nil then
      return redis.error_reply('BITMAPIST_BADARG group ' .. j .. ' of block ' .. b .. ' needs key indexes in [1, ' .. n .. ']')
    end
    local offsets = integers(ARGV[at + 2 * j], 0, maxBit)
    if offsets == nil then
      return redis.error_reply('BITMAPIST_BADARG bit offset must be an integer in [0, ' .. ARGV[2] .. ']')
    end
    groups[j] = { keys, offsets }
  end
  at = at + 2 * g + 1
  blocks[b] = { bitmaps = bitmaps, groups = groups }
end
if at ~= #ARGV + 1 then
  return redis.error_reply('BITMAPIST_BADARG malformed batch: ' .. (#ARGV + 1 - at) .. ' arguments past the last block')
end

local reply = { 0 }
local function leaveOut(b, group, index, why)
  reply[#reply + 1] = b
  reply[#reply + 1] = group
  reply[#reply + 1] = index
  reply[#reply + 1] = why
end

-- Whether the slot of `key` is served here and not being moved: EXISTS of it and of a name in its slot (its
-- hash tag) that no key has errs on both sides of a move, on the node moving the slot out (a key missing there
-- may be on the other) and on the node taking it in (reached by ASK, where a key missing may still be on the
-- first), and when another node serves the slot.
local PROBE = '\0bitmapist:no-such-key'
local function settled(key)
  local reply = redis.pcall('EXISTS', key, key .. PROBE)
  return not (type(reply) == 'table' and reply.err)
end

-- Every block is probed, not only when the slot of KEYS[1] moves: a call ASKed here by the node that moved
-- that slot out may arrive once that move has ended and the next slot is coming in, and the client's ASKING
-- holds for the whole script, so every slot this node takes in reads as served and a block partly moved could
-- be written here beside its keys still on the other node. Only blocks of settled slots are written; the others
-- are left out and sent again on their own, declaring every bitmap, which Redis routes by all of them
-- (TRYAGAIN until the move ends when they are split). On a stable Cluster every probe passes.
-- A block is written only when this node serves every one of its bitmaps (pcall: a key of a slot served
-- elsewhere is an error reply, not the end of the script); a group only when each of its keys is a bitmap.
local plan = {}
for b = 1, blockCount do
  local block = blocks[b]
  local wrongType, elsewhere = {}, nil
  if not settled(block.bitmaps[1]) then elsewhere = { 1, 'its slot is moving, or is served elsewhere' } end
  for k = 1, elsewhere and 0 or #block.bitmaps do
    local kind = redis.pcall('TYPE', block.bitmaps[k])
    if type(kind) == 'table' and kind.err then
      elsewhere = { k, kind.err }
      break
    end
    kind = kind['ok']
    if kind ~= 'string' and kind ~= 'none' then wrongType[k] = kind end
  end
  if elsewhere then
    leaveOut(b, 0, elsewhere[1], elsewhere[2])
  else
    plan[#plan + 1] = { b, block, wrongType }
  end
end

for _, entry in ipairs(plan) do
  local b, block, wrongType = entry[1], entry[2], entry[3]
  for j, group in ipairs(block.groups) do
    local keys, offsets = group[1], group[2]
    local refused = nil
    for k = 1, #keys do
      local index = tonumber(keys[k])
      if wrongType[index] then
        refused = index
        break
      end
    end
    if refused then
      leaveOut(b, j, refused, wrongType[refused])
    else
      for k = 1, #keys do
        local key = block.bitmaps[tonumber(keys[k])]
        for i = 1, #offsets do
          rcall('SETBIT', key, offsets[i], bit)
        end
      end
      reply[1] = reply[1] + #offsets
    end
  end
end
return reply
