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
 * Every script touches exactly one key (KEYS[1]), so each runs on one cluster slot whatever the key, and the
 * verifiers' multi-key needs are met by issuing several single-key operations in parallel.
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
 * Stores ARGV[1] when the key is absent or holds a smaller number. Returns 1 when it raised the value, 0 when not.
 * A non-numeric current value is an error, never silently overwritten.
 */
export const SET_IF_GREATER = script(`
local current = redis.call('GET', KEYS[1])
if current then
  local n = tonumber(current)
  if n == nil then
    return redis.error_reply('WRONGTYPE setIfGreater: key holds a non-numeric value')
  end
  if n >= tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);
