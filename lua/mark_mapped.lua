-- bitmapist:mark_mapped - mapped user ids, compatible layout: find or allocate each id's dense integer and
-- set (or clear) its bits, in one call. An unmark never allocates: an id not seen is skipped.
--
-- KEYS[1]     the prefix's id mode marker (must hold 'mapped')
-- KEYS[2]     hash id -> integer
-- KEYS[3]     hash integer -> id
-- KEYS[4]     the counter of integers handed out
-- KEYS[5..]   the distinct bitmaps of the batch
-- ARGV[1]     the bit to write: '1' marks, '0' unmarks
-- ARGV[2]     the largest integer that may be handed out (the cap on mapped ids)
-- ARGV[3]     number of groups g (at least 1)
-- ARGV[4..]   per group: its bitmaps as comma-separated 1-based indexes into KEYS (each at least 5), then the
--             number n of its ids, then n ids (strings)
--
-- Returns     { marks written, number r of refused groups, r triples (group, index into KEYS of its first key
--             that is not a string bitmap, that key's type), then the integer of every id sent, in order
--             (-1: not seen, or its group refused; -2: a new id past the cap, neither allocated nor written,
--             while the new ids before it that fit are) }
-- Errors      BITMAPIST_BADARG <why>      (checked before the first write)
--             BITMAPIST_IDMODE <mode>     the prefix holds other ids: nothing written
--             BITMAPIST_WRONGTYPE <i> <type>  a map key KEYS[i] is of another type: nothing written
local rcall = redis.call

local bit = ARGV[1]
local maxInteger = tonumber(ARGV[2])
local groups = tonumber(ARGV[3])
if bit ~= '0' and bit ~= '1' then
  return redis.error_reply('BITMAPIST_BADARG bit must be 0 or 1')
end
if maxInteger == nil or groups == nil or groups < 1 or groups ~= math.floor(groups) then
  return redis.error_reply('BITMAPIST_BADARG malformed batch header')
end

local layout, at = {}, 4
for g = 1, groups do
  local list, n = ARGV[at], tonumber(ARGV[at + 1])
  if list == nil or n == nil or n < 1 or n ~= math.floor(n) or at + 1 + n > #ARGV then
    return redis.error_reply('BITMAPIST_BADARG malformed group ' .. g)
  end
  local keys = {}
  for text in string.gmatch(list, '[^,]+') do
    local index = tonumber(text)
    if index == nil or index < 5 or index > #KEYS or index ~= math.floor(index) then
      return redis.error_reply('BITMAPIST_BADARG group ' .. g .. ' needs key indexes in [5, ' .. #KEYS .. ']')
    end
    keys[#keys + 1] = index
  end
  layout[g] = { keys, at + 2, at + 1 + n }
  at = at + 2 + n
end
if at - 1 ~= #ARGV then
  return redis.error_reply('BITMAPIST_BADARG malformed batch')
end

local mode = rcall('GET', KEYS[1])
if mode ~= 'mapped' then
  return redis.error_reply('BITMAPIST_IDMODE ' .. tostring(mode or 'unset'))
end
local wanted = { 'string', 'hash', 'hash', 'string' }
local wrongType = {}
for k = 1, #KEYS do
  local kind = rcall('TYPE', KEYS[k])['ok']
  if k <= 4 then
    if kind ~= wanted[k] and kind ~= 'none' then
      return redis.error_reply('BITMAPIST_WRONGTYPE ' .. k .. ' ' .. kind)
    end
  elseif kind ~= 'string' and kind ~= 'none' then
    wrongType[k] = kind
  end
end

-- Look every id up before the first write.
local reply, refusedCount, integers = { 0, 0 }, 0, {}
for g = 1, groups do
  local keys, first, last = layout[g][1], layout[g][2], layout[g][3]
  local refused = nil
  for k = 1, #keys do
    if wrongType[keys[k]] then
      refused = keys[k]
      break
    end
  end
  layout[g][4] = refused
  if refused then
    refusedCount = refusedCount + 1
    reply[#reply + 1] = g
    reply[#reply + 1] = refused
    reply[#reply + 1] = wrongType[refused]
  end
  for i = first, last do
    local value = nil
    if not refused then value = rcall('HGET', KEYS[2], ARGV[i]) end
    if value then
      integers[i] = tonumber(value)
    else
      integers[i] = -1
    end
  end
end
reply[2] = refusedCount

local given = {}
local used = nil
for g = 1, groups do
  local keys, first, last, refused = layout[g][1], layout[g][2], layout[g][3], layout[g][4]
  if not refused then
    for i = first, last do
      local id = ARGV[i]
      if integers[i] == -1 and bit == '1' then
        if given[id] == nil then
          used = used or tonumber(rcall('GET', KEYS[4]) or '0')
          if used > maxInteger then
            given[id] = -2
          else
            used = rcall('INCR', KEYS[4])
            given[id] = used - 1
            rcall('HSET', KEYS[2], id, given[id])
            rcall('HSET', KEYS[3], given[id], id)
          end
        end
        integers[i] = given[id]
      end
      if integers[i] >= 0 then
        for k = 1, #keys do
          rcall('SETBIT', KEYS[keys[k]], integers[i], bit)
        end
      end
      if integers[i] ~= -2 then reply[1] = reply[1] + 1 end
    end
  end
end
for i = 4, #ARGV do
  if integers[i] ~= nil then reply[#reply + 1] = integers[i] end
end
return reply
