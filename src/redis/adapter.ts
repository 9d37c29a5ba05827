/**
 * One small interface over the two Redis clients the backend accepts (ioredis and node-redis), so
 * that the backend is written once. The clients are the user's: they are recognised by shape, never
 * imported at run time.
 */
import { describe } from '../remote/index.js';
import { ioredisAdapter, isIoredis } from './ioredis-adapter.js';
import { isNodeRedis, nodeRedisAdapter } from './node-redis-adapter.js';

/** What a subscriber connection reports. */
export interface SubscriberHandlers {
  /** A published message (channel and payload as strings). */
  readonly message: (channel: string, payload: string) => void;
  /** The connection is ready: the first time, and again after every reconnect (subscriptions restored). */
  readonly ready: () => void;
  /** A connection error (the client reconnects by itself). */
  readonly error: (error: unknown) => void;
}

/** A dedicated connection in subscriber mode. */
export interface RedisSubscriber {
  /** Subscribes; resolves once the server confirmed. */
  subscribe(channels: readonly string[], sharded: boolean): Promise<void>;
  unsubscribe(channels: readonly string[], sharded: boolean): Promise<void>;
  /** Resolves once the server has processed everything sent on this connection before it. */
  sync(): Promise<void>;
  /** Closes the connection at once; resolves when its socket is gone. */
  close(): Promise<void>;
}

/** The user's client, reduced to what the backend needs. */
export interface RedisAdapter {
  readonly flavor: 'ioredis' | 'node-redis';
  /** Runs one command and resolves with the client's raw reply. */
  command(args: readonly string[]): Promise<unknown>;
  /** A new connection to the same server with the same options, named `name`, in subscriber mode. */
  subscriber(name: string, handlers: SubscriberHandlers): RedisSubscriber;
  /** Closes the client itself (only for clients the library created). */
  quit(): Promise<void>;
}

/**
 * Wraps an ioredis (`new Redis(...)`) or node-redis (`createClient(...)`, connected) client. Redis
 * Cluster clients are refused with a clear error: the keys are cluster-ready (hash-tagged), the
 * multi-key reads are not yet split by slot.
 */
export function adaptRedisClient(client: unknown): RedisAdapter {
  if (client === null || typeof client !== 'object') {
    throw new TypeError(`options.client must be an ioredis or node-redis client, got ${describe(client)}`);
  }
  if ((client as { isCluster?: unknown }).isCluster === true || typeof (client as { getSlotRandomNode?: unknown }).getSlotRandomNode === 'function') {
    throw new TypeError('options.client is a Redis Cluster client: not supported yet; pass a client of one (primary) node');
  }
  if (isIoredis(client)) return ioredisAdapter(client);
  if (isNodeRedis(client)) return nodeRedisAdapter(client);
  throw new TypeError(
    `options.client must be an ioredis client (new Redis(...)) or a node-redis client (createClient(...)), got ${describe(client)}`,
  );
}
