/**
 * The `remote` object both backends return: sources, cancel, the fleet, the registry mirror. It owns
 * the watch hub, the lease keeper and the fleet poller, and closes them (and what the backend opened)
 * in `close()`.
 */
import { randomUUID } from 'node:crypto';
import { CancelationReason, OperationRegistry } from '../index.js';
import { attachRegistry } from './attach.js';
import type { RemoteBackend, RemoteCancelResult } from './backend.js';
import { compileFleetFilter, FleetPoller, type FleetFilter, type FleetListener, type FleetSubscribeOptions } from './fleet.js';
import { HOST, LeaseKeeper } from './lease-keeper.js';
import { decodeLease, decodeState, GarbageError, type CancelState, type FleetOperation } from './records.js';
import { RemoteSource, type RemoteParts, type RemoteSourceOptions } from './remote-source.js';
import { checkId, checkInteger, checkOptions, checkText, describe, isValidId, DEFAULT_MAX_MESSAGE_BYTES } from './validate.js';
import { WatchHub } from './watch-hub.js';

/** Options both backends share. Durations in milliseconds. */
export interface RemoteOptions {
  /** How long a lease lives without renewal (renewed at a third of it). Default 15,000. */
  leaseTtlMs?: number;
  /** How long a cancel state is kept: a watcher that starts later than that misses it. Default 86,400,000 (a day). */
  stateTtlMs?: number;
  /** Interval of the slow poll over every watched id, the last net under wake-ups. Default 5,000. */
  pollMs?: number;
  /** The largest cancel message accepted (and read), in UTF-8 bytes. Default 4,096. */
  maxMessageBytes?: number;
  /** The shortest interval between two progress rewrites of one lease. Default 1,000. */
  progressIntervalMs?: number;
  /** How long the wake-up connection stays open after the last watched id. Default 2,000. */
  lingerMs?: number;
}

/** The keys of {@link RemoteOptions}, for the backends' own option checks. */
export const remoteOptionKeys = ['leaseTtlMs', 'stateTtlMs', 'pollMs', 'maxMessageBytes', 'progressIntervalMs', 'lingerMs'] as const;

/** Options of `remote.cancel(id, options)`. */
export interface RemoteCancelOptions {
  /** Default `manual`. */
  reason?: CancelationReason;
  message?: string;
  /** Who cancels, as recorded in the state. Default `<host>:<pid>`. */
  by?: string;
}

const reasons: ReadonlySet<string> = new Set(Object.values(CancelationReason));
const READ_CHUNK = 1_000;

/**
 * Cancellation across processes and machines, on Redis or PostgreSQL (SPEC §11). Made by
 * `createRedisCancelation` or `createPostgresCancelation`; both return this same API.
 *
 * @example
 * ```ts
 * const remote = createRedisCancelation({ client: redis });
 * // where the work runs:
 * await new Cancelable({ sources: [remote.source(jobId)] }).run((scope) => work(scope.signal));
 * // anywhere else:
 * const { cancelled, running } = await remote.cancel(jobId, { message: 'Stopped by the user' });
 * ```
 */
export class RemoteCancelation {
  /** Which backend stores the state. */
  readonly backend: 'redis' | 'postgres';
  /** The namespace of every key, table and channel. */
  readonly namespace: string;
  /** This remote's identity in leases (one per `remote` object). */
  readonly instance: string;
  readonly #store: RemoteBackend;
  readonly #hub: WatchHub;
  readonly #leases: LeaseKeeper;
  readonly #fleet: FleetPoller;
  readonly #parts: RemoteParts;
  readonly #stateTtlMs: number;
  readonly #maxMessageBytes: number;
  readonly #detachers = new Set<() => void>();
  readonly #onClose: () => Promise<void>;
  #closing: Promise<void> | undefined;

  /** @internal Made by the backends' factories. */
  constructor(store: RemoteBackend, options: RemoteOptions | undefined, onClose: () => Promise<void> = () => Promise.resolve()) {
    const leaseTtlMs = checkInteger('options.leaseTtlMs', options?.leaseTtlMs, 300, 86_400_000, 15_000);
    this.#stateTtlMs = checkInteger('options.stateTtlMs', options?.stateTtlMs, 1_000, 365 * 86_400_000, 86_400_000);
    const pollMs = checkInteger('options.pollMs', options?.pollMs, 50, 3_600_000, 5_000);
    this.#maxMessageBytes = checkInteger('options.maxMessageBytes', options?.maxMessageBytes, 16, 65_536, DEFAULT_MAX_MESSAGE_BYTES);
    const progressIntervalMs = checkInteger('options.progressIntervalMs', options?.progressIntervalMs, 10, 3_600_000, 1_000);
    const lingerMs = checkInteger('options.lingerMs', options?.lingerMs, 0, 3_600_000, 2_000);
    this.backend = store.kind;
    this.namespace = store.namespace;
    this.instance = `${HOST}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#store = store;
    this.#onClose = onClose;
    this.#hub = new WatchHub(store, { pollMs, lingerMs, readChunk: READ_CHUNK, maxMessageBytes: this.#maxMessageBytes });
    this.#leases = new LeaseKeeper(store, { ttlMs: leaseTtlMs, progressIntervalMs, instance: this.instance });
    this.#parts = { hub: this.#hub, leases: this.#leases };
    this.#fleet = new FleetPoller(() => this.list(), (error) => store.report('failure', 'subscribe-fleet', error));
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * A source for a scope anywhere: it fires when `remote.cancel(id)` is called from any process, with
   * the reason and message given there (also when the cancel came before the scope started). While the
   * scope runs, the id holds a liveness lease. See {@link RemoteSource}.
   * @example
   * ```ts
   * await Cancelable.withTimeout(60_000, { sources: [remote.source(requestId)] }).run(handler);
   * ```
   */
  source(id: string, options?: RemoteSourceOptions): RemoteSource {
    checkId('id', id);
    const checked = checkOptions<RemoteSourceOptions>('options', options, ['name', 'metadata']) ?? {};
    checkText('options.name', checked.name, 4_096);
    if (checked.metadata !== undefined && (checked.metadata === null || typeof checked.metadata !== 'object' || Array.isArray(checked.metadata))) {
      throw new TypeError(`options.metadata must be an object, got ${describe(checked.metadata)}`);
    }
    this.#checkOpen();
    return new RemoteSource(this.#parts, id, { ...checked });
  }

  /**
   * Cancels `id` everywhere: every scope watching it (now, or starting within `stateTtlMs`) is
   * cancelled with this reason and message, unless it was cancelled before — then the first reason
   * and message stay and `cancelled` is false. `running` says whether a lease holder exists.
   * @example
   * ```ts
   * const { cancelled, running } = await remote.cancel('job-7', { message: 'User pressed Stop' });
   * ```
   */
  async cancel(id: string, options?: RemoteCancelOptions): Promise<RemoteCancelResult> {
    checkId('id', id);
    const checked = checkOptions<RemoteCancelOptions>('options', options, ['reason', 'message', 'by']) ?? {};
    const reason = checked.reason ?? CancelationReason.Manual;
    if (typeof reason !== 'string' || !reasons.has(reason)) {
      throw new TypeError(`options.reason must be one of ${[...reasons].join(', ')}; got ${describe(reason)}`);
    }
    const message = checkText('options.message', checked.message, this.#maxMessageBytes) ?? null;
    const by = checked.by === undefined ? `${HOST}:${process.pid}` : checkId('options.by', checked.by);
    this.#checkOpen();
    const state: CancelState = { reason, message, at: Date.now(), by };
    return this.#store.cancel(id, state, this.#stateTtlMs);
  }

  /**
   * The cancel state of `id` (reason, message, when, by whom), or `undefined` if it was not cancelled
   * (or its state expired).
   * @example
   * ```ts
   * (await remote.state('job-7'))?.message; // 'User pressed Stop'
   * ```
   */
  async state(id: string): Promise<CancelState | undefined> {
    checkId('id', id);
    this.#checkOpen();
    const [raw] = await this.#store.readStates([id]);
    if (raw === null || raw === undefined) return undefined;
    const state = decodeState(raw, this.#maxMessageBytes);
    if (state instanceof GarbageError) {
      this.#store.report('garbage', 'state', state, id);
      return undefined;
    }
    return state;
  }

  /**
   * The live operations of the fleet (every process with a source or an attached registry on this
   * namespace), oldest first, from their leases. A lease that is not ours to read is reported and skipped.
   * @example
   * ```ts
   * for (const op of await remote.list({ name: 'export' })) console.log(op.host, op.pid, op.id, op.progress?.message);
   * ```
   */
  async list(filter?: FleetFilter): Promise<FleetOperation[]> {
    const test = compileFleetFilter(filter);
    this.#checkOpen();
    const raws = await this.#store.readLeases();
    const now = Date.now();
    const operations: FleetOperation[] = [];
    for (const { id, value } of raws) {
      const operation = decodeLease(value, isValidId(id) ? id : undefined, now);
      if (operation instanceof GarbageError) this.#store.report('garbage', 'lease', operation, isValidId(id) ? id : undefined);
      else if (test(operation)) operations.push(operation);
    }
    return operations.sort((a, b) => (a.startTime ?? 0) - (b.startTime ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The live operation with this id, from its lease, or `undefined`.
   * @example
   * ```ts
   * const op = await remote.get('job-7'); // { id, name, status, host, pid, progress, ... }
   * ```
   */
  async get(id: string): Promise<FleetOperation | undefined> {
    checkId('id', id);
    this.#checkOpen();
    const raw = await this.#store.readLease(id);
    if (raw === null || raw === undefined) return undefined;
    const operation = decodeLease(raw, id, Date.now());
    if (operation instanceof GarbageError) {
      this.#store.report('garbage', 'lease', operation, id);
      return undefined;
    }
    return operation;
  }

  /**
   * Mirrors `registry`'s live operations as leases and makes each cancellable by its id from anywhere
   * (`remote.cancel(id)` cancels `registry.get(id)` here). Returns the function that detaches; nothing
   * is left behind after it (or after `close()`).
   * @example
   * ```ts
   * const detach = remote.attach(OperationRegistry.default);
   * // `cancelable ps --redis <url>` now lists this process's operations; detach() when done.
   * ```
   */
  attach(registry: OperationRegistry): () => void {
    if (!(registry instanceof OperationRegistry) && !isRegistryLike(registry)) {
      throw new TypeError(`registry must be an OperationRegistry, got ${describe(registry)}`);
    }
    this.#checkOpen();
    const detach = attachRegistry(registry, { ...this.#parts, report: this.#store.report });
    const once = (): void => {
      if (this.#detachers.delete(once)) detach();
    };
    this.#detachers.add(once);
    return once;
  }

  /**
   * Calls `listener` on every change of the fleet: `start` (a lease appeared; on subscribing, once per
   * operation already live), `update` (progress, a cancel seen by its holder) and `end` (its lease is
   * gone). Leases are read every `intervalMs` (default 1,000) while anyone subscribes. Returns the
   * function that unsubscribes.
   * @example
   * ```ts
   * const off = remote.subscribe(({ type, operation }) => console.log(type, operation.host, operation.id));
   * ```
   */
  subscribe(listener: FleetListener, options?: FleetSubscribeOptions): () => void {
    this.#checkOpen();
    return this.#fleet.subscribe(listener, options);
  }

  /**
   * Releases every connection, timer, subscription and lease this remote made (never the client you
   * handed in). Sources still running stop hearing remote cancels. Idempotent.
   * @example
   * ```ts
   * await remote.close();
   * ```
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  /** `await using remote = createRedisCancelation(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    for (const detach of [...this.#detachers]) detach();
    this.#fleet.close();
    const results = await Promise.allSettled([this.#hub.close(), this.#leases.close()]);
    await this.#store.close();
    await this.#onClose();
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) {
      throw new Error(`this ${this.backend} remote (namespace '${this.namespace}') is closed`);
    }
  }
}

// Another copy of the library (ESM and CommonJS builds together) has its own OperationRegistry class.
function isRegistryLike(value: unknown): value is OperationRegistry {
  const candidate = value as Partial<Record<'list' | 'get' | 'subscribe', unknown>> | null;
  return (
    candidate !== null &&
    typeof candidate === 'object' &&
    typeof candidate.list === 'function' &&
    typeof candidate.get === 'function' &&
    typeof candidate.subscribe === 'function'
  );
}

