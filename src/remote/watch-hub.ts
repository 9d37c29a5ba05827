/**
 * Every id this process watches, behind one wake-up connection. The rules that make a cancel never
 * lost while both ends live:
 * - subscribe, then read: an id's state is read once its wake-ups are confirmed, so a cancel lands
 *   either before the read (the read sees it) or after the subscription (the wake-up arrives);
 * - a wake-up is only a reason to read: the stored state decides, never the message;
 * - after every reconnect, every watched id is read again (wake-ups published during the gap are gone);
 * - a slow poll reads everything now and then, the last net for a wake-up lost some other way.
 * Reads are batched: ids that start watching in the same tick share one read per chunk.
 */
import type { RemoteBackend, WakeConnection } from './backend.js';
import { decodeState, GarbageError, type CancelState } from './records.js';

/** Called when a watched id's state is found. */
export type StateListener = (state: CancelState) => void;

/** Tuning of a {@link WatchHub}. */
export interface WatchHubOptions {
  /** Interval of the slow poll over every watched id, in ms. */
  pollMs: number;
  /** How long the wake-up connection stays open once nothing is watched, in ms. */
  lingerMs: number;
  /** Ids per read command. */
  readChunk: number;
  /** The message cap states are checked against. */
  maxMessageBytes: number;
}

export class WatchHub {
  readonly #backend: RemoteBackend;
  readonly #options: WatchHubOptions;
  readonly #watchers = new Map<string, Set<StateListener>>();
  #wake: WakeConnection | undefined;
  #toAdd = new Set<string>();
  #toRemove = new Set<string>();
  #flushQueued = false;
  #woken = new Set<string>();
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(backend: RemoteBackend, options: WatchHubOptions) {
    this.#backend = backend;
    this.#options = options;
  }

  /** How many distinct ids are watched. */
  get size(): number {
    return this.#watchers.size;
  }

  /** Whether `id` is watched here. */
  has(id: string): boolean {
    return this.#watchers.has(id);
  }

  /** Watches `id`: `listener` is called with its state once found. Returns the function that stops. */
  watch(id: string, listener: StateListener): () => void {
    if (this.#closed) throw new Error(`the ${this.#backend.kind} remote (namespace '${this.#backend.namespace}') is closed`);
    let listeners = this.#watchers.get(id);
    if (listeners === undefined) {
      this.#watchers.set(id, (listeners = new Set()));
      this.#toRemove.delete(id);
      this.#toAdd.add(id);
      this.#queueFlush();
    }
    listeners.add(listener);
    this.#active();
    return () => this.#unwatch(id, listener);
  }

  /**
   * Reads the state of watched ids (a wake-up arrived for them). Wake-ups of one tick (a burst of
   * messages parsed from one socket read) share one read.
   */
  wake(ids: readonly string[]): void {
    const first = this.#woken.size === 0;
    for (const id of ids) if (this.#watchers.has(id)) this.#woken.add(id);
    if (!first || this.#woken.size === 0) return;
    queueMicrotask(() => {
      const woken = [...this.#woken];
      this.#woken.clear();
      this.#read(woken);
    });
  }

  /** The wake-up connection came back: read everything again. */
  reconnected(): void {
    if (this.#watchers.size > 0) this.#read([...this.#watchers.keys()]);
  }

  /** Stops everything and closes the wake-up connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watchers.clear();
    this.#toAdd.clear();
    this.#toRemove.clear();
    this.#woken.clear();
    this.#stopTimers();
    const wake = this.#wake;
    this.#wake = undefined;
    await wake?.close();
  }

  #unwatch(id: string, listener: StateListener): void {
    const listeners = this.#watchers.get(id);
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) return;
    this.#watchers.delete(id);
    if (!this.#toAdd.delete(id)) {
      this.#toRemove.add(id);
      this.#queueFlush();
    }
    if (this.#watchers.size === 0) this.#idle();
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#closed) return;
    const adds = [...this.#toAdd];
    const removes = [...this.#toRemove];
    this.#toAdd.clear();
    this.#toRemove.clear();
    if (removes.length > 0 && this.#wake !== undefined) {
      this.#wake.remove(removes).catch((error: unknown) => this.#backend.report('failure', 'unsubscribe', error));
    }
    if (adds.length === 0) return;
    const wake = (this.#wake ??= this.#backend.openWake({ wake: (ids) => this.wake(ids), reconnected: () => this.reconnected() }));
    wake.add(adds).then(
      () => this.#read(adds),
      (error: unknown) => {
        // Not subscribed (yet): read anyway, so a cancel already there is seen; a reconnect re-reads.
        this.#backend.report('failure', 'subscribe', error);
        this.#read(adds);
      },
    );
  }

  #read(ids: readonly string[]): void {
    const chunk = this.#options.readChunk;
    for (let start = 0; start < ids.length; start += chunk) {
      const slice = ids.slice(start, start + chunk);
      this.#readChunk(slice).catch((error: unknown) => this.#backend.report('failure', 'read', error));
    }
  }

  async #readChunk(ids: readonly string[]): Promise<void> {
    const live = ids.filter((id) => this.#watchers.has(id));
    if (live.length === 0 || this.#closed) return;
    const raws = await this.#backend.readStates(live);
    for (let i = 0; i < live.length; i++) {
      const raw = raws[i];
      if (raw === null || raw === undefined) continue;
      const id = live[i] as string;
      const state = decodeState(raw, this.#options.maxMessageBytes);
      if (state instanceof GarbageError) this.#backend.report('garbage', 'state', state, id);
      else this.#deliver(id, state);
    }
  }

  #deliver(id: string, state: CancelState): void {
    const listeners = this.#watchers.get(id);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        listener(state);
      } catch (error) {
        this.#backend.report('failure', 'deliver', error, id);
      }
    }
  }

  #active(): void {
    if (this.#lingerTimer !== undefined) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = undefined;
    }
    if (this.#pollTimer === undefined) {
      this.#pollTimer = setInterval(() => this.#poll(), this.#options.pollMs);
      this.#pollTimer.unref();
    }
  }

  #poll(): void {
    if (this.#polling || this.#watchers.size === 0) return;
    this.#polling = true;
    const ids = [...this.#watchers.keys()];
    const chunk = this.#options.readChunk;
    const reads: Promise<void>[] = [];
    for (let start = 0; start < ids.length; start += chunk) reads.push(this.#readChunk(ids.slice(start, start + chunk)));
    void Promise.allSettled(reads).then((results) => {
      this.#polling = false;
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) this.#backend.report('failure', 'poll', failed.reason);
    });
  }

  #idle(): void {
    if (this.#pollTimer !== undefined) {
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
    }
    if (this.#wake === undefined || this.#lingerTimer !== undefined) return;
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = undefined;
      if (this.#watchers.size > 0) return;
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.close().catch((error: unknown) => this.#backend.report('failure', 'close', error));
    }, this.#options.lingerMs);
    this.#lingerTimer.unref();
  }

  #stopTimers(): void {
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#pollTimer = this.#lingerTimer = undefined;
  }
}
