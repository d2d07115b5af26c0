-- bitmapist:map_ids - find (and on a mark, allocate) the dense integers of mapped user ids in one map shard.
--
-- A shard allocates integers in a stride: shard s of n gives s, s + n, s + 2n, ... so the shards of a
-- prefix never hand out the same integer, and integers are never reused.
--
-- KEYS[1]     the shard's hash id -> integer
-- KEYS[2]     the shard's hash integer -> id
-- KEYS[3]     the shard's counter (how many integers it has handed out)
-- ARGV[1]     '1': allocate ids not seen yet; '0': only look them up
-- ARGV[2]     the number of shards n (the stride)
-- ARGV[3]     this shard's number s, in [0, n)
-- ARGV[4]     the largest integer that may be handed out (the cap on mapped ids)
-- ARGV[5..]   the ids (strings)
--
-- Returns     one integer per id, -1 for an id not seen (when not allocating), -2 for a new id past the cap
--             (the shard is full: not allocated; the ids before it in the call that fit are)
-- Errors      BITMAPIST_BADARG <why>       (before anything is written)
--             BITMAPIST_WRONGTYPE <i> <type>  KEYS[i] is of another type: nothing written
local rcall = redis.call

local allocate = ARGV[1] == '1'
local stride = tonumber(ARGV[2])
local shard = tonumber(ARGV[3])
local maxInteger = tonumber(ARGV[4])

if #KEYS ~= 3 or (ARGV[1] ~= '0' and ARGV[1] ~= '1') or stride == nil or shard == nil or maxInteger == nil
    or stride < 1 or shard < 0 or shard >= stride then
  return redis.error_reply('BITMAPIST_BADARG malformed id map call')
end
local wanted = { 'hash', 'hash', 'string' }
for i = 1, 3 do
  local kind = rcall('TYPE', KEYS[i])['ok']
  if kind ~= wanted[i] and kind ~= 'none' then
    return redis.error_reply('BITMAPIST_WRONGTYPE ' .. i .. ' ' .. kind)
  end
end

local found = {}
local fresh = 0
local seen = {}
for i = 5, #ARGV do
  local value = rcall('HGET', KEYS[1], ARGV[i])
  if value then
    found[i - 4] = tonumber(value)
  else
    found[i - 4] = -1
    if not seen[ARGV[i]] then
      seen[ARGV[i]] = true
      fresh = fresh + 1
    end
  end
end
if not allocate or fresh == 0 then return found end

local used = tonumber(rcall('GET', KEYS[3]) or '0')
local given = {}
for i = 5, #ARGV do
  if found[i - 4] == -1 then
    local id = ARGV[i]
    if given[id] == nil then
      if used * stride + shard > maxInteger then
        given[id] = -2
      else
        used = rcall('INCR', KEYS[3])
        given[id] = (used - 1) * stride + shard
        rcall('HSET', KEYS[1], id, given[id])
        rcall('HSET', KEYS[2], given[id], id)
      end
    end
    found[i - 4] = given[id]
  end
end
return found
