-- bitmapist:mark_many - set or clear the bits of many marks in one call.
--
-- Marks that set the same bitmaps (same event and period) form a group, so each bitmap name is sent once
-- and each mark costs one user id in a list.
--
-- KEYS        the distinct bitmaps of the batch
-- ARGV[1]     the bit to write: '1' marks, '0' unmarks
-- ARGV[2]     the largest user id allowed
-- ARGV[3]     number of groups g (at least 1)
-- ARGV[4..]   g pairs: the group's bitmaps as comma-separated 1-based indexes into KEYS (e.g. '1,2,3'),
--             then the group's user ids, comma-separated (e.g. '17,4,90017'); each id is set in each bitmap
-- ARGV[4 + 2g] optional, one of:
--             '1' when the last key is not a bitmap but the prefix's id mode marker (integer ids, compatible
--             layout): a prefix recorded as holding mapped ids is refused;
--             'blocks' when the last key is not a bitmap but the sharded layout's block registry (a set; one
--             server only: on a Cluster it lives in another hash slot), ARGV[5 + 2g] then the blocks of the
--             batch, comma-separated: they are added to it after the marks are written
--
-- Returns     { marks written (user ids over the groups written), then for each refused group: the group's
--             number g, the 1-based index into KEYS of its first key that is not a string bitmap, that key's
--             type }. A group whose bitmaps include a key of another type (a hash planted there, ...) is
--             refused whole and nothing of it is written; the other groups are written. A registry that
--             refuses the blocks (a key of another type) adds { 0, its index into KEYS, the error reply }: the
--             marks are written all the same.
-- Errors      BITMAPIST_BADARG <why>   (every group is checked before the first write)
--             BITMAPIST_IDMODE mapped  the prefix holds mapped ids: nothing written
local rcall = redis.call

local bit = ARGV[1]
local maxUid = tonumber(ARGV[2])
local groups = tonumber(ARGV[3])

if bit ~= '0' and bit ~= '1' then
  return redis.error_reply('BITMAPIST_BADARG bit must be 0 or 1')
end
if maxUid == nil or groups == nil or groups < 1 or groups ~= math.floor(groups)
    or (#ARGV ~= 3 + 2 * groups and not (#ARGV == 4 + 2 * groups and ARGV[#ARGV] == '1')
      and not (#ARGV == 5 + 2 * groups and ARGV[4 + 2 * groups] == 'blocks')) then
  return redis.error_reply('BITMAPIST_BADARG malformed batch header')
end
local bitmaps = #KEYS
local modeKey = #ARGV == 4 + 2 * groups
local registry = #ARGV == 5 + 2 * groups
if modeKey or registry then bitmaps = #KEYS - 1 end
if modeKey and rcall('GET', KEYS[#KEYS]) == 'mapped' then
  return redis.error_reply('BITMAPIST_IDMODE mapped')
end

-- The integers of a comma-separated list (kept as strings), or nil unless each is canonical (digits, no
-- leading zero) and within [low, high].
local function integers(list, low, high)
  if not string.find(list, '^%d[%d,]*$') or string.find(list, ',,', 1, true) or string.sub(list, -1) == ','
      or string.find(',' .. list, ',0%d') then
    return nil
  end
  local values, n = {}, 0
  for text in string.gmatch(list, '%d+') do
    local value = tonumber(text)
    if value < low or value > high then return nil end
    n = n + 1
    values[n] = text
  end
  return values
end

local layout = {}
for g = 1, groups do
  local keys = integers(ARGV[2 + 2 * g], 1, bitmaps)
  if keys == nil then
    return redis.error_reply('BITMAPIST_BADARG group ' .. g .. ' needs key indexes in [1, ' .. bitmaps .. ']')
  end
  local uids = integers(ARGV[3 + 2 * g], 0, maxUid)
  if uids == nil then
    return redis.error_reply('BITMAPIST_BADARG user id must be an integer in [0, ' .. ARGV[2] .. ']')
  end
  layout[g] = { keys, uids }
end
local blocks = nil
if registry then
  blocks = integers(ARGV[#ARGV], 0, 2 ^ 53)
  if blocks == nil or #blocks > 8000 then
    return redis.error_reply('BITMAPIST_BADARG blocks must be a list of block numbers')
  end
end

-- Redis has no rollback: every key's type is checked before the first write, and a group with a key that
-- SETBIT would refuse is left out whole.
local wrongType = {}
for k = 1, bitmaps do
  local kind = rcall('TYPE', KEYS[k])['ok']
  if kind ~= 'string' and kind ~= 'none' then wrongType[k] = kind end
end

local reply = { 0 }
for g = 1, groups do
  local keys, uids = layout[g][1], layout[g][2]
  local refused = nil
  for k = 1, #keys do
    local index = tonumber(keys[k])
    if wrongType[index] then
      refused = index
      break
    end
  end
  if refused then
    reply[#reply + 1] = g
    reply[#reply + 1] = refused
    reply[#reply + 1] = wrongType[refused]
  else
    for k = 1, #keys do
      local key = KEYS[tonumber(keys[k])]
      for i = 1, #uids do
        rcall('SETBIT', key, uids[i], bit)
      end
    end
    reply[1] = reply[1] + #uids
  end
end
if blocks then
  local added = redis.pcall('SADD', KEYS[#KEYS], unpack(blocks))
  if type(added) == 'table' and added.err then
    reply[#reply + 1] = 0
    reply[#reply + 1] = #KEYS
    reply[#reply + 1] = added.err
  end
end
return reply
