import {
  checkBoolean,
  checkNamespace,
  checkOptions,
  remoteOptionKeys,
  reporterFor,
  RemoteCancelation,
  type RemoteOptions,
} from '../remote/index.js';
import { adaptRedisClient } from './adapter.js';
import { isIoredis, type IoredisLike } from './ioredis-adapter.js';
import { redisNames } from './keys.js';
import { isNodeRedis, type NodeRedisLike } from './node-redis-adapter.js';
import { RedisBackend } from './redis-backend.js';

/**
 * A Redis client the backend accepts: an ioredis client (`new Redis(...)`) or a connected node-redis
 * client (`createClient(...)` then `connect()`). Typed by shape, so neither package is required.
 */
export type RedisClientLike = IoredisLike | NodeRedisLike;

/** Options of {@link createRedisCancelation}. */
export interface RedisCancelationOptions extends RemoteOptions {
  /** Your client: used for commands; its `duplicate()` becomes the one subscriber connection. */
  client: RedisClientLike | object;
  /** The prefix of every key and channel: letters, digits, `_ . : -`, up to 64. Default `cancelable`. */
  namespace?: string;
  /**
   * Wake-ups on one sharded channel per id (`SSUBSCRIBE ns:{id}:cancel`, Redis 7+) instead of the
   * namespace's one channel: on Redis Cluster a message then stays on its shard. Every process of a
   * namespace must use the same setting. Default false.
   */
  sharded?: boolean;
  /** Close `client` in `remote.close()`. Default false: the client is yours. */
  closeClient?: boolean;
}

const NAMESPACE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Cancellation across processes and machines through Redis (SPEC §11): returns a
 * {@link RemoteCancelation}. The state of a cancelled id is a key set once (`SET NX PX`) by a script
 * that also publishes the wake-up; each process watches every id on one subscriber connection, reads
 * the state after subscribing and after every reconnect, and polls slowly as the last net.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisCancelation } from 'cancelable-ts/redis';
 *
 * const remote = createRedisCancelation({ client: new Redis(process.env.REDIS_URL!) });
 * await new Cancelable({ sources: [remote.source('report-42')] }).run((scope) => buildReport(scope.signal));
 * // from any other process: await remote.cancel('report-42', { message: 'Stopped by the user' });
 * ```
 */
export function createRedisCancelation(options: RedisCancelationOptions): RemoteCancelation {
  if (options === undefined) throw new TypeError('options must be an options object with a client, got undefined');
  if (options !== null && typeof options === 'object' && (isIoredis(options) || isNodeRedis(options))) {
    throw new TypeError('options must be an options object: pass the client as createRedisCancelation({ client })');
  }
  const checked = checkOptions<RedisCancelationOptions>('options', options, ['client', 'namespace', 'sharded', 'closeClient', ...remoteOptionKeys]);
  const adapter = adaptRedisClient(checked?.client);
  const namespace = checkNamespace('options.namespace', checked?.namespace, NAMESPACE, 'letters, digits, _ . : - (1 to 64)', 'cancelable');
  const sharded = checkBoolean('options.sharded', checked?.sharded, false);
  const closeClient = checkBoolean('options.closeClient', checked?.closeClient, false);
  const backend = new RedisBackend(adapter, namespace, redisNames(namespace), sharded, reporterFor('redis', namespace));
  return new RemoteCancelation(backend, checked, async () => {
    if (closeClient) await adapter.quit();
  });
}
