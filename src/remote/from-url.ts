/**
 * `fleetFromUrl(url)`: a remote for tools that are handed a URL (the CLI's `--redis` / `--postgres`,
 * the dashboard). The one module of src/remote that reaches up into the backends, through dynamic
 * imports only: a Redis user never loads the PostgreSQL code, nor the reverse.
 */
import type { RemoteCancelation, RemoteOptions } from './remote.js';
import { describe } from './validate.js';

/** Options of {@link fleetFromUrl}. */
export interface FleetFromUrlOptions extends RemoteOptions {
  /** The namespace the fleet uses (each backend's default otherwise: `cancelable`). */
  namespace?: string;
  /** Give up connecting after this long. Default 5,000 ms. */
  connectTimeoutMs?: number;
}

/**
 * Connects to the fleet at `url` — `redis://`/`rediss://` (with ioredis or node-redis, whichever is
 * installed) or `postgres://`/`postgresql://` (with pg) — and returns a remote that owns its
 * connection: `close()` it when done. Rejects with a clear message when the scheme is unknown, the
 * client library is not installed, or the server does not answer.
 * @example
 * ```ts
 * const fleet = await fleetFromUrl(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * for (const op of await fleet.list()) console.log(op.host, op.pid, op.id, op.name);
 * await fleet.cancel('job-7', { message: 'Stopped from the CLI' });
 * await fleet.close();
 * ```
 */
export async function fleetFromUrl(url: string, options?: FleetFromUrlOptions): Promise<RemoteCancelation> {
  if (typeof url !== 'string') throw new TypeError(`url must be a string, got ${describe(url)}`);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    const { connectRedisCancelation } = await import('../redis/connect.js');
    return connectRedisCancelation(url, options);
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { connectPostgresCancelation } = await import('../postgres/connect.js');
    return connectPostgresCancelation(url, options);
  }
  throw new TypeError(`url must start with redis://, rediss://, postgres:// or postgresql://, got ${describe(scheme === undefined ? url.slice(0, 20) : `${scheme}:`)}`);
}
