package redispresence

import "github.com/redis/go-redis/v9"

// The scripts make every decision of the package atomically: whether a user
// is first or last in a room, and which node removed a user's last entry
// (that node alone reports it). Time is Redis's own (TIME), so clock skew
// between nodes cannot expire entries early.
//
// Keys of one (room, user) entry, passed as three consecutive KEYS after
// the queue key (KEYS[1]):
//
//	u  ZSET node → expiry (ms): the nodes the user is in the room on
//	r  ZSET user → latest expiry of its u: the room's index, for Members
//	n  HASH user → display name
//
// The queue (KEYS[1]) is a ZSET "len(room):room user" → latest expiry: the
// janitor's work list, so finding expired users costs what has expired,
// not the number of rooms.

// luaCommon is prepended to every script.
const luaCommon = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- sync makes the room index and the queue carry the latest expiry of u, or
-- drops the user from them when u is empty; it reports whether u has any
-- entry left. Every write refreshes the keys' own expiry.
local function sync(u, r, n, q, user, qm, kttl)
  local top = redis.call('ZRANGE', u, -1, -1, 'WITHSCORES')
  if #top == 0 then
    redis.call('ZREM', r, user)
    redis.call('HDEL', n, user)
    redis.call('ZREM', q, qm)
    return false
  end
  redis.call('ZADD', r, top[2], user)
  redis.call('ZADD', q, top[2], qm)
  redis.call('PEXPIRE', u, kttl)
  redis.call('PEXPIRE', r, kttl)
  redis.call('PEXPIRE', n, kttl)
  redis.call('PEXPIRE', q, kttl)
  return true
end
`

// arriveScript records ARGV[1] (node) in each entry with expiry now+ARGV[2]
// and returns, per entry, 1 when the user had no live entry before. Expired
// entries of other nodes are dropped first: such a user had already left
// (Members no longer listed them), so arriving again is first. ARGV[4] "1"
// overwrites the name (Arrive: the latest arrival's name wins), "0" only
// restores a missing one (refresh).
// ARGV: node, ttl, keyTTL, overwrite, then user, name, queue member per entry.
var arriveScript = redis.NewScript(luaCommon + `
local now = now_ms()
local node, exp, kttl, over = ARGV[1], now + tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1'
local out = {}
for i = 0, (#KEYS - 1) / 3 - 1 do
  local u, r, n = KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i]
  local user, name, qm = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i]
  redis.call('ZREMRANGEBYSCORE', u, '-inf', now)
  local first = redis.call('ZCARD', u) == 0
  redis.call('ZADD', u, exp, node)
  if over then
    redis.call('HSET', n, user, name)
  else
    redis.call('HSETNX', n, user, name)
  end
  sync(u, r, n, KEYS[1], user, qm, kttl)
  out[i + 1] = first and 1 or 0
end
return out
`)

// departScript removes ARGV[1] (node) from each entry and returns, per
// entry, 1 when this call emptied it: the node's own entry or expired ones
// of others were removed and none is left. An entry emptied earlier (by the
// janitor, or never recorded) returns 0, so each departure is reported once.
// ARGV: node, keyTTL, then user, queue member per entry.
var departScript = redis.NewScript(luaCommon + `
local now = now_ms()
local node, kttl = ARGV[1], ARGV[2]
local out = {}
for i = 0, (#KEYS - 1) / 3 - 1 do
  local u, r, n = KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i]
  local user, qm = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  local removed = redis.call('ZREM', u, node)
  removed = removed + redis.call('ZREMRANGEBYSCORE', u, '-inf', now)
  local left = sync(u, r, n, KEYS[1], user, qm, kttl)
  out[i + 1] = (removed > 0 and not left) and 1 or 0
end
return out
`)

// expireScript removes the expired entries of each (room, user) and
// returns, per entry, 1 and the user's name when this call emptied it: the
// janitor that gets 1 reports the user gone, no other can.
// ARGV: keyTTL, then user, queue member per entry.
var expireScript = redis.NewScript(luaCommon + `
local now = now_ms()
local kttl = ARGV[1]
local out = {}
for i = 0, (#KEYS - 1) / 3 - 1 do
  local u, r, n = KEYS[2 + 3 * i], KEYS[3 + 3 * i], KEYS[4 + 3 * i]
  local user, qm = ARGV[2 + 2 * i], ARGV[3 + 2 * i]
  local removed = redis.call('ZREMRANGEBYSCORE', u, '-inf', now)
  local name = redis.call('HGET', n, user) or ''
  local left = sync(u, r, n, KEYS[1], user, qm, kttl)
  if removed > 0 and not left then
    out[2 * i + 1], out[2 * i + 2] = 1, name
  else
    out[2 * i + 1], out[2 * i + 2] = 0, ''
  end
end
return out
`)

// dueScript returns at most ARGV[1] queue members whose latest expiry has
// passed: the users the janitor should look at.
var dueScript = redis.NewScript(luaCommon + `
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[1]))
`)

// membersScript returns id, name, id, name... of the users of room KEYS[1]
// (names in KEYS[2]) with a live entry.
var membersScript = redis.NewScript(luaCommon + `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now_ms(), '+inf')
if #ids == 0 then
  return {}
end
local out = {}
-- HMGET in chunks: unpack of a whole large room would overflow Lua's stack.
for from = 1, #ids, 1000 do
  local to = math.min(from + 999, #ids)
  local names = redis.call('HMGET', KEYS[2], unpack(ids, from, to))
  for i = from, to do
    out[2 * i - 1], out[2 * i] = ids[i], names[i - from + 1] or ''
  end
end
return out
`)
