import { createHash } from 'node:crypto';

/**
 * A Lua script run with EVALSHA. Its SHA-1 is computed here, once, so the first call needs no SCRIPT LOAD round trip:
 * EVALSHA is tried first and EVAL (which also caches the script on that server) only when the server answers
 * NOSCRIPT (after a restart, a failover or a SCRIPT FLUSH).
 */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

function script(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/*
 * Every script touches one key (KEYS[1]), or a counter and its scope's epoch key that share a hash tag, so each runs
 * on one cluster slot, and the verifiers' multi-key needs are met by issuing several operations in parallel.
 */

/**
 * INCR with a fixed window: the TTL is set when the counter is created (or found without one) and never extended.
 * Returns { count, remaining ms }.
 */
export const INCREMENT = script(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`);

/**
 * SADD into a bounded exact set: once the set holds ARGV[3] members, new members are not stored and the cap is
 * reported (saturating). The TTL is set when the set is created. Returns the cardinality.
 */
export const ADD_TO_SET = script(`
local size = redis.call('SCARD', KEYS[1])
if size >= tonumber(ARGV[3]) then
  return size
end
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('SCARD', KEYS[1])
`);

/**
 * Stores ARGV[1] when the key holds a smaller number, or is absent and ARGV[3] is not `present` (`setIfGreater`;
 * `raiseIfPresent` passes `present`). Returns 1 when it raised the value, 0 when not, -1 when the key is absent and
 * had to be present (nothing is written). A non-numeric current value is an error, never silently overwritten.
 */
export const SET_IF_GREATER = script(`
local current = redis.call('GET', KEYS[1])
if current then
  local n = tonumber(current)
  if n == nil then
    return redis.error_reply('WRONGTYPE key holds a non-numeric value')
  end
  if n >= tonumber(ARGV[1]) then
    return 0
  end
elseif ARGV[3] == 'present' then
  return -1
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

/*
 * Reserve-then-settle attempt counters: one hash per counter with fields `f` (settled failures), `u` (locked until,
 * epoch ms), `g` (its scope's reset epoch when created) and `r:<id>` (a held reservation, valued with the epoch ms its
 * hold ends). Time is the server's (TIME), so every instance judges holds and locks on one clock. The fields `f`, `u`
 * and `g` exist from creation, so the number of holds is HLEN - 3 without a scan; expired holds are swept only when
 * the counter is at its limit.
 *
 * A scoped counter gets its scope's epoch key as KEYS[2] (same hash tag, so same slot): a counter created before the
 * scope's last reset (g < epoch) is void and replaced in the same script, so a reset and a racing failure are
 * ordered by Redis itself. Unscoped counters pass one key and epoch 0.
 */
const ATTEMPT_COUNTER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local epochRaw = '0'
if #KEYS > 1 then epochRaw = redis.call('GET', KEYS[2]) or '0' end
local epoch = tonumber(epochRaw)
local exists = redis.call('EXISTS', KEYS[1]) == 1
if exists then
  local g = redis.call('HGET', KEYS[1], 'g')
  if not g then
    -- a counter written before epochs existed: give it the field HLEN - 3 counts on
    redis.call('HSET', KEYS[1], 'g', 0)
    g = '0'
  end
  if tonumber(g) < epoch then
    redis.call('DEL', KEYS[1])
    exists = false
  end
end
`;

/**
 * Grants a reservation (KEYS[1] the counter, KEYS[2] its scope's epoch if scoped; ARGV: id, limit, floor, windowMs,
 * holdMs) unless locked or at the limit. Returns { granted 1/0, retryAfterMs, locked 1/0 }.
 */
export const RESERVE_ATTEMPT = script(`${ATTEMPT_COUNTER}
local limit = tonumber(ARGV[2])
if not exists then
  redis.call('HSET', KEYS[1], 'f', 0, 'u', 0, 'g', epochRaw)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local u = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
if u > now then
  return { 0, u - now, 1 }
end
local allowance = math.max(limit - f, tonumber(ARGV[3]))
local held = redis.call('HLEN', KEYS[1]) - 3
if held >= allowance then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local name = all[i]
    if string.sub(name, 1, 2) == 'r:' and tonumber(all[i + 1]) <= now then
      redis.call('HDEL', KEYS[1], name)
      held = held - 1
    end
  end
  if held >= allowance then
    if f >= limit and tonumber(ARGV[3]) == 0 then
      return { 0, math.max(redis.call('PTTL', KEYS[1]), 1), 0 }
    end
    return { 0, 1000, 0 }
  end
end
redis.call('HSET', KEYS[1], 'r:' .. ARGV[1], now + tonumber(ARGV[5]))
return { 1, 0, 0 }
`);

/**
 * Ends reservation ARGV[1] on KEYS[1] (KEYS[2] as above; ARGV: id, outcome '1' failed / '0' released / 'c' cleared,
 * limit, windowMs, lockMs, maxLockMs). A failure counts (in a new window when the counter is gone or void) and locks
 * with exponential backoff at the limit; a clear removes the counter. Returns the failures.
 */
export const SETTLE_ATTEMPT = script(`${ATTEMPT_COUNTER}
if exists then
  redis.call('HDEL', KEYS[1], 'r:' .. ARGV[1])
end
if ARGV[2] == 'c' then
  if exists then redis.call('DEL', KEYS[1]) end
  return 0
end
if ARGV[2] ~= '1' then
  if not exists then return 0 end
  local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
  -- Left with nothing (no failure, no lock, no hold: fields f, u and g only): dropped, not kept for the window.
  if f == 0 and tonumber(redis.call('HGET', KEYS[1], 'u') or '0') == 0 and redis.call('HLEN', KEYS[1]) == 3 then
    redis.call('DEL', KEYS[1])
  end
  return f
end
if not exists then
  redis.call('HSET', KEYS[1], 'f', 0, 'u', 0, 'g', epochRaw)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
local limit = tonumber(ARGV[3])
local lockMs = tonumber(ARGV[5])
if lockMs > 0 and f >= limit then
  local lock = math.min(lockMs * 2 ^ math.min(f - limit, 30), tonumber(ARGV[6]))
  local untilMs = now + lock
  if untilMs > tonumber(redis.call('HGET', KEYS[1], 'u') or '0') then
    redis.call('HSET', KEYS[1], 'u', string.format('%d', untilMs))
  end
  if redis.call('PTTL', KEYS[1]) < lock then
    redis.call('PEXPIRE', KEYS[1], string.format('%d', lock))
  end
end
return f
`);

/**
 * Resets a scope: KEYS[1] is its epoch key, ARGV[1] how long (ms, at least) it is remembered. The new epoch is above
 * the last one and at least the server's clock in ms, so it also exceeds every epoch handed out before the key was
 * forgotten. Returns the new epoch.
 */
export const RESET_SCOPE = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local epoch = string.format('%d', math.max(current + 1, now))
local ttl = math.max(tonumber(ARGV[1]), redis.call('PTTL', KEYS[1]))
redis.call('SET', KEYS[1], epoch, 'PX', ttl)
return epoch
`);

/*
 * Reserved members: one hash per set (KEYS[1]), member -> its holds, valued `<count>` (holds that last until released,
 * as written before hold expiry existed) or `<count>:<until>` (the epoch ms, server time, at which the last of them
 * ends: a hold never released frees itself then). With a kept set (KEYS[2], a set `addToSet` fills, same hash tag),
 * its members are in the set whatever their holds. Expired holds are swept only when the set is at its limit.
 */
const MEMBER_HOLDS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function parse(value)
  local count, untilMs = string.match(value, '^(%d+):(%d+)$')
  if count then return tonumber(count), tonumber(untilMs) end
  return tonumber(value), nil
end
`;

/**
 * Holds ARGV[1] in KEYS[1] when it is held there already (unexpired), a member of the kept set KEYS[2] (if given), or
 * the members of both number fewer than ARGV[2] (ARGV[3]: TTL set at creation when holds do not expire; ARGV[4]: hold
 * ms, 0 for holds that last until released). Returns { granted 1/0, added 1/0 }.
 */
export const RESERVE_MEMBER = script(`${MEMBER_HOLDS}
local member = ARGV[1]
local holdMs = tonumber(ARGV[4] or '0')
local kept = #KEYS > 1
local current = redis.call('HGET', KEYS[1], member)
local count, untilMs = 0, nil
if current then
  count, untilMs = parse(current)
  if untilMs ~= nil and untilMs <= now then count = 0 end
end
local added = 0
if count == 0 and not (kept and redis.call('SISMEMBER', KEYS[2], member) == 1) then
  local limit = tonumber(ARGV[2])
  if limit < 1 then return { 0, 0 } end
  local keptCount = 0
  if kept then keptCount = redis.call('SCARD', KEYS[2]) end
  if keptCount + redis.call('HLEN', KEYS[1]) >= limit then
    local members = keptCount
    local all = redis.call('HGETALL', KEYS[1])
    for i = 1, #all, 2 do
      local c, u = parse(all[i + 1])
      if u ~= nil and u <= now then
        redis.call('HDEL', KEYS[1], all[i])
      elseif not (kept and redis.call('SISMEMBER', KEYS[2], all[i]) == 1) then
        members = members + 1
      end
    end
    if members >= limit then return { 0, 0 } end
  end
  added = 1
end
if holdMs > 0 then
  local ends = now + holdMs
  if count > 0 then
    if untilMs == nil then ends = nil elseif untilMs > ends then ends = untilMs end
  end
  if ends == nil then
    redis.call('HSET', KEYS[1], member, count + 1)
  else
    redis.call('HSET', KEYS[1], member, string.format('%d:%d', count + 1, ends))
  end
  if redis.call('PTTL', KEYS[1]) < holdMs then
    redis.call('PEXPIRE', KEYS[1], holdMs)
  end
else
  redis.call('HSET', KEYS[1], member, count + 1)
  if redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
  end
end
return { 1, added }
`);

/** Releases one hold of a reserved member (`removeMember`): the member leaves the hash with its last hold. */
export const RELEASE_MEMBER = script(`${MEMBER_HOLDS}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then
  return 0
end
local count, untilMs = parse(current)
if count <= 1 or (untilMs ~= nil and untilMs <= now) then
  redis.call('HDEL', KEYS[1], ARGV[1])
elseif untilMs == nil then
  redis.call('HSET', KEYS[1], ARGV[1], count - 1)
else
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%d:%d', count - 1, untilMs))
end
return 1
`);
