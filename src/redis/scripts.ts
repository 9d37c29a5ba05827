/**
 * The Lua scripts. A script runs atomically on the server: a cancel is either the state and its
 * wake-up, or nothing (a canceller killed mid-way leaves no half).
 */
import { createHash } from 'node:crypto';
import { CancelationReason } from '../index.js';
import type { RedisAdapter } from './adapter.js';

/** A script and its SHA1 (EVALSHA first, EVAL when the server does not have it cached). */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS: state, lease. ARGV: state JSON, TTL ms, channel, payload, '1' for a sharded channel.
 * Returns {cancelled, running}. The first cancel sets the state and publishes; later ones change
 * nothing. A value that is not a state (garbage someone wrote) does not block the latch: it is
 * replaced, as if absent.
 */
export const CANCEL = script(`
local reasons = { ${Object.values(CancelationReason).map((reason) => `['${reason}'] = true`).join(', ')} }
local running = redis.call('EXISTS', KEYS[2])
local current = redis.call('GET', KEYS[1])
if current then
  local ok, value = pcall(cjson.decode, current)
  if ok and type(value) == 'table' and reasons[value.reason] then return {0, running} end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[5] == '1' then redis.call('SPUBLISH', ARGV[3], ARGV[4]) else redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return {1, running}
`);

/** KEYS: lease. ARGV: instance. Deletes the lease only if that instance still owns it; returns 1 if so. */
export const RELEASE = script(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, value = pcall(cjson.decode, raw)
if ok and type(value) == 'table' and value.instance == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`);

/** Runs `script` with EVALSHA, falling back to EVAL once when the server lost its script cache. */
export async function runScript(adapter: RedisAdapter, { source, sha }: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  try {
    return await adapter.command(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
  } catch (error) {
    if (!/NOSCRIPT/.test(error instanceof Error ? error.message : String(error))) throw error;
    return adapter.command(['EVAL', source, String(keys.length), ...keys, ...args]);
  }
}
