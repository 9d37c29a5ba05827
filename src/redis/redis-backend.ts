/**
 * The Redis storage of the remote model: the state is a key set once (`SET NX PX`) by a script that
 * also publishes the wake-up; leases are keys with a TTL, indexed by a set for `list()`; wake-ups
 * arrive on one subscriber connection per process (a duplicate of the user's client).
 */
import {
  describe,
  encodeState,
  isValidId,
  type CancelState,
  type LeaseWrite,
  type RemoteBackend,
  type RemoteCancelResult,
  type Reporter,
  type WakeConnection,
  type WakeEvents,
} from '../remote/index.js';
import type { RedisAdapter, RedisSubscriber } from './adapter.js';
import type { RedisNames } from './keys.js';
import { CANCEL, RELEASE, runScript } from './scripts.js';

const CHUNK = 1_000;

export class RedisBackend implements RemoteBackend {
  readonly kind = 'redis' as const;
  readonly namespace: string;
  readonly report: Reporter;
  readonly #adapter: RedisAdapter;
  readonly #names: RedisNames;
  readonly #sharded: boolean;

  constructor(adapter: RedisAdapter, namespace: string, names: RedisNames, sharded: boolean, report: Reporter) {
    this.#adapter = adapter;
    this.namespace = namespace;
    this.#names = names;
    this.#sharded = sharded;
    this.report = report;
  }

  async cancel(id: string, state: CancelState, stateTtlMs: number): Promise<RemoteCancelResult> {
    const names = this.#names;
    const channel = this.#sharded ? names.shardChannel(id) : names.channel;
    const reply = await runScript(
      this.#adapter,
      CANCEL,
      [names.state(id), names.lease(id)],
      [encodeState(state), String(stateTtlMs), channel, id, this.#sharded ? '1' : '0'],
    );
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected reply from the cancel script: ${JSON.stringify(reply)}`);
    return { cancelled: Number(reply[0]) === 1, running: Number(reply[1]) === 1 };
  }

  async readStates(ids: readonly string[]): Promise<readonly unknown[]> {
    return this.#mget(ids.map((id) => this.#names.state(id)));
  }

  async putLeases(leases: readonly LeaseWrite[], _instance: string, ttlMs: number): Promise<void> {
    const ttl = String(ttlMs);
    const writes = leases.map(({ id, value }) => this.#adapter.command(['SET', this.#names.lease(id), value, 'PX', ttl]));
    for (let start = 0; start < leases.length; start += CHUNK) {
      const ids = leases.slice(start, start + CHUNK).map(({ id }) => id);
      writes.push(this.#adapter.command(['SADD', this.#names.leaseIndex, ...ids]));
    }
    await Promise.all(writes);
  }

  async dropLeases(ids: readonly string[], instance: string): Promise<void> {
    const released = await Promise.all(ids.map((id) => runScript(this.#adapter, RELEASE, [this.#names.lease(id)], [instance])));
    const gone = ids.filter((_, i) => Number(released[i]) === 1);
    await this.#unindex(gone);
  }

  async readLeases(): Promise<ReadonlyArray<{ id: string; value: unknown }>> {
    const members = await this.#adapter.command(['SMEMBERS', this.#names.leaseIndex]);
    if (!Array.isArray(members)) throw new Error('unexpected reply to SMEMBERS');
    const ids: string[] = [];
    for (const member of members) {
      if (isValidId(member)) ids.push(member);
      else this.report('garbage', 'lease-index', new Error('a member of the lease index is not a valid id'));
    }
    const values = await this.#mget(ids.map((id) => this.#names.lease(id)));
    const leases: { id: string; value: unknown }[] = [];
    const expired: string[] = [];
    ids.forEach((id, i) => {
      const value = values[i];
      if (value === null || value === undefined) expired.push(id);
      else leases.push({ id, value });
    });
    // Index entries of leases that expired (a process that died): pruned here, re-added by any renewal.
    await this.#unindex(expired).catch((error: unknown) => this.report('failure', 'lease-index', error));
    return leases;
  }

  async readLease(id: string): Promise<unknown> {
    return this.#adapter.command(['GET', this.#names.lease(id)]);
  }

  openWake(events: WakeEvents): WakeConnection {
    return new RedisWake(this.#adapter, this.#names, this.#sharded, events, this.report);
  }

  async close(): Promise<void> {
    // Nothing of its own: the subscriber belongs to the wake connection, the client to the user.
  }

  async #mget(keys: readonly string[]): Promise<unknown[]> {
    const chunks: Promise<unknown>[] = [];
    for (let start = 0; start < keys.length; start += CHUNK) chunks.push(this.#adapter.command(['MGET', ...keys.slice(start, start + CHUNK)]));
    const replies = await Promise.all(chunks);
    const values: unknown[] = [];
    for (const reply of replies) {
      if (!Array.isArray(reply)) throw new Error('unexpected reply to MGET');
      for (const value of reply) values.push(value);
    }
    return values;
  }

  async #unindex(ids: readonly string[]): Promise<void> {
    const removals: Promise<unknown>[] = [];
    for (let start = 0; start < ids.length; start += CHUNK) {
      removals.push(this.#adapter.command(['SREM', this.#names.leaseIndex, ...ids.slice(start, start + CHUNK)]));
    }
    await Promise.all(removals);
  }
}

/**
 * The subscriber side: one connection, subscribed to the namespace's channel (or, sharded, to one
 * channel per watched id). A message is trusted only to name a watched id; anything else is
 * reported as garbage and dropped.
 */
class RedisWake implements WakeConnection {
  readonly #adapter: RedisAdapter;
  readonly #names: RedisNames;
  readonly #sharded: boolean;
  readonly #events: WakeEvents;
  readonly #report: Reporter;
  #subscriber: RedisSubscriber | undefined;
  #globalSubscribed: Promise<void> | undefined;
  readonly #channels = new Map<string, string>(); // sharded: channel -> id
  #readyBefore = false;
  #closed = false;

  constructor(adapter: RedisAdapter, names: RedisNames, sharded: boolean, events: WakeEvents, report: Reporter) {
    this.#adapter = adapter;
    this.#names = names;
    this.#sharded = sharded;
    this.#events = events;
    this.#report = report;
  }

  async add(ids: readonly string[]): Promise<void> {
    const subscriber = this.#connect();
    if (!this.#sharded) {
      this.#globalSubscribed ??= subscriber.subscribe([this.#names.channel], false).catch((error: unknown) => {
        this.#globalSubscribed = undefined; // the next add tries again
        throw error;
      });
      return this.#globalSubscribed;
    }
    const channels: string[] = [];
    for (const id of ids) {
      const channel = this.#names.shardChannel(id);
      if (!this.#channels.has(channel)) channels.push(channel);
      this.#channels.set(channel, id);
    }
    for (let start = 0; start < channels.length; start += CHUNK) {
      await subscriber.subscribe(channels.slice(start, start + CHUNK), true);
    }
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (!this.#sharded || this.#subscriber === undefined) return;
    const channels = ids.map((id) => this.#names.shardChannel(id)).filter((channel) => this.#channels.delete(channel));
    for (let start = 0; start < channels.length; start += CHUNK) {
      await this.#subscriber.unsubscribe(channels.slice(start, start + CHUNK), true);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    await subscriber?.close();
  }

  #connect(): RedisSubscriber {
    if (this.#closed) throw new Error('the wake-up connection is closed');
    return (this.#subscriber ??= this.#adapter.subscriber(this.#names.subscriberName, {
      message: (channel, payload) => this.#onMessage(channel, payload),
      ready: () => {
        if (this.#closed) return;
        if (this.#readyBefore) this.#events.reconnected();
        this.#readyBefore = true;
      },
      error: (error) => {
        if (!this.#closed) this.#report('failure', 'connection', error);
      },
    }));
  }

  #onMessage(channel: string, payload: string): void {
    if (this.#closed) return;
    if (this.#sharded) {
      const id = this.#channels.get(channel);
      if (id === undefined) return; // a channel just left
      if (payload === id) this.#events.wake([id]);
      else this.#report('garbage', 'message', new Error(`a message on ${describe(channel)} does not name its id`), id);
      return;
    }
    if (channel !== this.#names.channel) return;
    if (isValidId(payload)) this.#events.wake([payload]);
    else this.#report('garbage', 'message', new Error(`a message on ${describe(channel)} is not a valid id: ${describe(payload)}`));
  }
}
