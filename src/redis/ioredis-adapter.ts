/** The {@link RedisAdapter} of an ioredis client (ioredis 5 and 6). */
import type { RedisAdapter, RedisSubscriber, SubscriberHandlers } from './adapter.js';
import { onceWithin } from './once-within.js';

type Listener = (...args: never[]) => void;

/** The part of an ioredis client the backend uses (structural: ioredis is never imported). */
export interface IoredisLike {
  status: string;
  call(command: string, ...args: string[]): Promise<unknown>;
  duplicate(override?: Record<string, unknown>): IoredisLike;
  connect(): Promise<void>;
  disconnect(reconnect?: boolean): void;
  quit(): Promise<unknown>;
  ping(): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  ssubscribe(...channels: string[]): Promise<unknown>;
  sunsubscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** Whether `client` looks like an ioredis client. */
export function isIoredis(client: object): client is IoredisLike {
  const c = client as Partial<Record<'call' | 'duplicate' | 'ssubscribe', unknown>> & { status?: unknown };
  return typeof c.call === 'function' && typeof c.duplicate === 'function' && typeof c.ssubscribe === 'function' && typeof c.status === 'string';
}

export function ioredisAdapter(client: IoredisLike): RedisAdapter {
  return {
    flavor: 'ioredis',
    command: ([name, ...args]) => client.call(name as string, ...args),
    subscriber: (name, handlers) => ioredisSubscriber(client, name, handlers),
    quit: async () => {
      if (client.status === 'end') return;
      await client.quit().catch(() => client.disconnect());
    },
  };
}

function ioredisSubscriber(client: IoredisLike, name: string, handlers: SubscriberHandlers): RedisSubscriber {
  const sub = client.duplicate({ connectionName: name, lazyConnect: true, autoResubscribe: true });
  const onMessage = (channel: unknown, message: unknown): void => handlers.message(String(channel), String(message));
  sub.on('message', onMessage);
  sub.on('smessage', onMessage);
  sub.on('error', handlers.error);
  // ioredis emits 'ready' before it sends the resubscriptions; a PING sent after them answers once
  // they are processed, so "ready" reaches the backend when the subscriptions are really back.
  sub.on('ready', () =>
    queueMicrotask(() => {
      sub.ping().then(() => handlers.ready(), handlers.error);
    }),
  );
  sub.connect().catch(handlers.error); // it retries by itself (retryStrategy); commands wait meanwhile
  return {
    async subscribe(channels, sharded) {
      await (sharded ? sub.ssubscribe(...channels) : sub.subscribe(...channels));
    },
    async unsubscribe(channels, sharded) {
      await (sharded ? sub.sunsubscribe(...channels) : sub.unsubscribe(...channels));
    },
    async sync() {
      await sub.ping();
    },
    async close() {
      if (sub.status === 'end') return;
      const ended = onceWithin(sub, 'end', 2_000);
      sub.disconnect(false);
      await ended;
    },
  };
}
