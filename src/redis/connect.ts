/**
 * A remote from a URL, for tools (the CLI, the dashboard): loads whichever Redis client is installed
 * (ioredis first, then node-redis), connects, and owns the client (closed by `remote.close()`).
 */
import { checkInteger, checkOptions, describe, remoteOptionKeys, type RemoteCancelation } from '../remote/index.js';
import { createRedisCancelation, type RedisCancelationOptions } from './create.js';
import type { IoredisLike } from './ioredis-adapter.js';
import type { NodeRedisLike } from './node-redis-adapter.js';

/** Options of {@link connectRedisCancelation}: those of `createRedisCancelation` but the client. */
export interface ConnectRedisOptions extends Omit<RedisCancelationOptions, 'client' | 'closeClient'> {
  /** Give up connecting after this long. Default 5,000 ms. */
  connectTimeoutMs?: number;
}

/** The URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}

/**
 * Connects to the Redis at `url` (`redis://` or `rediss://`) with the installed client (ioredis, else
 * node-redis) and returns a remote that owns it: `remote.close()` closes the connection. Rejects with
 * a clear error when the server does not answer within `connectTimeoutMs` or no client is installed.
 * @example
 * ```ts
 * const remote = await connectRedisCancelation('redis://127.0.0.1:6379', { namespace: 'jobs' });
 * console.table(await remote.list());
 * await remote.close();
 * ```
 */
export async function connectRedisCancelation(url: string, options?: ConnectRedisOptions): Promise<RemoteCancelation> {
  if (typeof url !== 'string') throw new TypeError(`url must be a string, got ${describe(url)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`url must be a redis:// or rediss:// URL, got ${describe(redactUrl(url))}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`url must be a redis:// or rediss:// URL, got ${describe(redactUrl(url))}`);
  }
  const checked = checkOptions<ConnectRedisOptions>('options', options, ['namespace', 'sharded', 'connectTimeoutMs', ...remoteOptionKeys]) ?? {};
  const timeoutMs = checkInteger('options.connectTimeoutMs', checked.connectTimeoutMs, 1, 600_000, 5_000);
  const { connectTimeoutMs: _timeout, ...rest } = checked;
  const client = await connectClient(url, timeoutMs);
  try {
    return createRedisCancelation({ ...rest, client, closeClient: true });
  } catch (error) {
    closeQuietly(client);
    throw error;
  }
}

async function connectClient(url: string, timeoutMs: number): Promise<IoredisLike | NodeRedisLike> {
  const where = redactUrl(url);
  const ioredis = await importOptional<{ Redis?: IoredisConstructor; default?: IoredisConstructor }>('ioredis');
  const Redis = ioredis?.Redis ?? ioredis?.default;
  if (typeof Redis === 'function') {
    const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 3 });
    client.on('error', () => undefined); // reported through the commands that fail; never an unhandled 'error'
    try {
      await withTimeout(client.connect(), timeoutMs, where);
      return client;
    } catch (error) {
      client.disconnect();
      throw connectError(where, error);
    }
  }
  const nodeRedis = await importOptional<{ createClient?: (options: object) => NodeRedisLike }>('redis');
  if (typeof nodeRedis?.createClient === 'function') {
    let connected = false;
    const client = nodeRedis.createClient({
      url,
      socket: {
        connectTimeout: timeoutMs,
        // Before the first connection: fail fast (a wrong URL). After: back off and keep trying.
        reconnectStrategy: (retries: number) => (connected ? Math.min(50 * 2 ** retries, 2_000) : retries < 2 ? 100 : false),
      },
    });
    client.on('error', () => undefined);
    try {
      await withTimeout(client.connect(), timeoutMs, where);
      connected = true;
      return client;
    } catch (error) {
      closeQuietly(client);
      throw connectError(where, error);
    }
  }
  throw new Error(`no Redis client is installed to connect to ${where}: npm install ioredis (or redis)`);
}

type IoredisConstructor = new (url: string, options: object) => IoredisLike;

async function importOptional<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, where: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // the loser of the race is handled
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer)).catch((error: unknown) => {
    throw connectError(where, error);
  });
}

function connectError(where: string, error: unknown): Error {
  if (error instanceof Error && error.message.startsWith('could not connect')) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`could not connect to Redis at ${where}: ${reason}`, { cause: error });
}

function closeQuietly(client: IoredisLike | NodeRedisLike): void {
  try {
    if ('disconnect' in client) client.disconnect();
    else if (client.isOpen) client.destroy();
  } catch {
    // already closed
  }
}
