/** The {@link RedisAdapter} of a node-redis client (`redis` 5 and 6). */
import type { RedisAdapter, RedisSubscriber, SubscriberHandlers } from './adapter.js';
import { onceWithin } from './once-within.js';

type PubSubListener = (message: string, channel: string) => void;

/** The part of a node-redis client the backend uses (structural: node-redis is never imported). */
export interface NodeRedisLike {
  readonly isOpen: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(overrides?: Record<string, unknown>): NodeRedisLike;
  connect(): Promise<unknown>;
  close?(): Promise<void>;
  destroy(): void;
  subscribe(channels: string[], listener: PubSubListener): Promise<void>;
  unsubscribe(channels: string[], listener: PubSubListener): Promise<void>;
  sSubscribe(channels: string[], listener: PubSubListener): Promise<void>;
  sUnsubscribe(channels: string[], listener: PubSubListener): Promise<void>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** Whether `client` looks like a node-redis client. */
export function isNodeRedis(client: object): client is NodeRedisLike {
  const c = client as Partial<Record<'sendCommand' | 'duplicate' | 'sSubscribe', unknown>>;
  return typeof c.sendCommand === 'function' && typeof c.duplicate === 'function' && typeof c.sSubscribe === 'function';
}

export function nodeRedisAdapter(client: NodeRedisLike): RedisAdapter {
  return {
    flavor: 'node-redis',
    command: (args) => client.sendCommand([...args]),
    subscriber: (name, handlers) => nodeRedisSubscriber(client, name, handlers),
    quit: async () => {
      if (!client.isOpen) return;
      if (typeof client.close === 'function') await client.close().catch(() => client.destroy());
      else client.destroy();
    },
  };
}

function nodeRedisSubscriber(client: NodeRedisLike, name: string, handlers: SubscriberHandlers): RedisSubscriber {
  const sub = client.duplicate({ name });
  const listener: PubSubListener = (message, channel) => handlers.message(channel, message);
  // node-redis restores the subscriptions before it emits 'ready' again.
  sub.on('ready', () => handlers.ready());
  sub.on('error', handlers.error);
  const connected = sub.connect().then(() => undefined);
  connected.catch(handlers.error); // reported once here; subscribe() rejects with it too
  return {
    async subscribe(channels, sharded) {
      await connected;
      await (sharded ? sub.sSubscribe([...channels], listener) : sub.subscribe([...channels], listener));
    },
    async unsubscribe(channels, sharded) {
      await connected;
      await (sharded ? sub.sUnsubscribe([...channels], listener) : sub.unsubscribe([...channels], listener));
    },
    async sync() {
      // Nothing to wait for: subscriptions are restored before 'ready'.
    },
    async close() {
      if (!sub.isOpen) return;
      const ended = onceWithin(sub, 'end', 2_000);
      sub.destroy();
      await ended;
    },
  };
}
