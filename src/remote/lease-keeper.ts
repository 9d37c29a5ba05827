/**
 * The liveness leases of this process: one per id held, whatever the number of local holders (a
 * source and an attached registry may hold the same id). A lease is written when the first holder
 * arrives, renewed at a third of its TTL, rewritten (throttled) when its operation reports progress,
 * and deleted when the last holder leaves. A process that dies leaves leases that expire by
 * themselves within one TTL. Backend calls run one after the other, so a delete never overtakes the
 * write it follows.
 */
import { hostname } from 'node:os';
import type { OperationContext } from '../index.js';
import type { RemoteBackend } from './backend.js';
import { encodeLease } from './records.js';

/** Something that holds a lease: it describes the operation when the lease is written. */
export interface LeaseHolder {
  describe(): OperationContext;
}

/** Tuning of a {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  ttlMs: number;
  /** The shortest interval between two progress rewrites of one lease, in ms. */
  progressIntervalMs: number;
  instance: string;
}

/** The host name written in leases (bounded, printable). */
export const HOST = hostname().replace(/[^\x20-\x7e]/g, '?').slice(0, 255) || 'unknown';

export class LeaseKeeper {
  readonly #backend: RemoteBackend;
  readonly #options: LeaseKeeperOptions;
  readonly #held = new Map<string, Set<LeaseHolder>>();
  readonly #dirty = new Set<string>();
  readonly #dropped = new Set<string>();
  #flushQueued = false;
  #chain: Promise<void> = Promise.resolve();
  #renewTimer: NodeJS.Timeout | undefined;
  #progressTimer: NodeJS.Timeout | undefined;
  #queued = 0;
  #closed = false;

  constructor(backend: RemoteBackend, options: LeaseKeeperOptions) {
    this.#backend = backend;
    this.#options = options;
  }

  /** How many leases this process holds. */
  get size(): number {
    return this.#held.size;
  }

  /** Holds the lease of `id` for `holder`; returns the function that lets go. */
  hold(id: string, holder: LeaseHolder): () => void {
    if (this.#closed) return () => undefined;
    let holders = this.#held.get(id);
    if (holders === undefined) this.#held.set(id, (holders = new Set()));
    holders.add(holder);
    this.#dropped.delete(id);
    this.#dirty.add(id);
    this.#queueFlush();
    this.#startRenewing();
    return () => this.#release(id, holder);
  }

  /** The operation behind `id` changed (progress): rewrite its lease soon, at most once per interval. */
  touch(id: string): void {
    if (!this.#held.has(id) || this.#closed) return;
    this.#dirty.add(id);
    if (this.#progressTimer !== undefined) return;
    this.#progressTimer = setTimeout(() => {
      this.#progressTimer = undefined;
      this.#queueFlush();
    }, this.#options.progressIntervalMs);
    this.#progressTimer.unref();
  }

  /** Deletes every lease held and stops renewing. */
  async close(): Promise<void> {
    if (this.#closed) return this.#chain;
    this.#closed = true;
    this.#stopTimers();
    const ids = [...this.#held.keys(), ...this.#dropped];
    this.#held.clear();
    this.#dirty.clear();
    this.#dropped.clear();
    if (ids.length > 0) this.#enqueue(() => this.#backend.dropLeases(ids, this.#options.instance), 'lease-drop');
    return this.#chain;
  }

  #release(id: string, holder: LeaseHolder): void {
    const holders = this.#held.get(id);
    if (holders === undefined || !holders.delete(holder) || holders.size > 0) return;
    this.#held.delete(id);
    this.#dirty.delete(id);
    this.#dropped.add(id);
    this.#queueFlush();
    if (this.#held.size === 0) this.#stopTimers();
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#closed) return;
    // A server that does not answer: keep the leases dirty rather than pile up renewals behind it.
    if (this.#queued >= 2 && this.#dropped.size === 0) return;
    const writes = [...this.#dirty].flatMap((id) => {
      const value = this.#encode(id);
      return value === undefined ? [] : [{ id, value }];
    });
    const drops = [...this.#dropped];
    this.#dirty.clear();
    this.#dropped.clear();
    const { instance, ttlMs } = this.#options;
    if (writes.length > 0) this.#enqueue(() => this.#backend.putLeases(writes, instance, ttlMs), 'lease-write');
    if (drops.length > 0) this.#enqueue(() => this.#backend.dropLeases(drops, instance), 'lease-drop');
  }

  #encode(id: string): string | undefined {
    const holders = this.#held.get(id);
    if (holders === undefined) return undefined;
    const holder = [...holders].at(-1); // the newest holder describes the operation best
    if (holder === undefined) return undefined;
    try {
      const context = holder.describe();
      return encodeLease({ v: 1, host: HOST, pid: process.pid, instance: this.#options.instance, context: { ...context, id } });
    } catch (error) {
      this.#backend.report('failure', 'lease-describe', error, id);
      return undefined;
    }
  }

  #enqueue(operation: () => Promise<void>, what: string): void {
    this.#queued++;
    this.#chain = this.#chain
      .then(operation)
      .catch((error: unknown) => this.#backend.report('failure', what, error))
      .finally(() => {
        this.#queued--;
      });
  }

  #startRenewing(): void {
    if (this.#renewTimer !== undefined) return;
    this.#renewTimer = setInterval(() => {
      for (const id of this.#held.keys()) this.#dirty.add(id);
      this.#queueFlush();
    }, Math.max(1, Math.floor(this.#options.ttlMs / 3)));
    this.#renewTimer.unref();
  }

  #stopTimers(): void {
    if (this.#renewTimer !== undefined) clearInterval(this.#renewTimer);
    if (this.#progressTimer !== undefined) clearTimeout(this.#progressTimer);
    this.#renewTimer = this.#progressTimer = undefined;
  }
}
