/**
 * The fleet view: filters over the operations the leases show, and `subscribe`, which turns periodic
 * reads of the leases into start / update / end events (backend-neutral: no extra channel to trust).
 */
import { OperationStatus } from '../index.js';
import type { FleetOperation } from './records.js';
import { checkInteger, checkOptions, describe } from './validate.js';

/** Selects operations in `remote.list(filter)`. Every given field must match. */
export interface FleetFilter {
  /** A case-insensitive substring of the name, or a RegExp tested against it. */
  name?: string | RegExp;
  /** The host name, exactly. */
  host?: string;
  /** One status, or any of several. */
  status?: OperationStatus | readonly OperationStatus[];
}

/** A change in the fleet, seen by `remote.subscribe(listener)`. */
export interface FleetEvent {
  /** `start`: a lease appeared; `update`: its operation reported progress or was cancelled; `end`: the lease is gone. */
  type: 'start' | 'update' | 'end';
  operation: FleetOperation;
}

/** Called with each {@link FleetEvent}; errors it throws are reported and ignored. */
export type FleetListener = (event: FleetEvent) => void;

/** Options of `remote.subscribe(listener, options)`. */
export interface FleetSubscribeOptions {
  /** How often the leases are read, in ms. Default 1,000. */
  intervalMs?: number;
}

const statuses: ReadonlySet<string> = new Set(Object.values(OperationStatus));

/** Validates a filter and returns its test. */
export function compileFleetFilter(filter: unknown): (operation: FleetOperation) => boolean {
  const checked = checkOptions<FleetFilter>('filter', filter, ['name', 'host', 'status']);
  if (checked === undefined) return () => true;
  const { name, host, status } = checked;
  let nameTest: (name: string) => boolean = () => true;
  if (typeof name === 'string') {
    const needle = name.toLowerCase();
    nameTest = (candidate) => candidate.toLowerCase().includes(needle);
  } else if (name instanceof RegExp) {
    const pattern = new RegExp(name.source, name.flags.replace(/[gy]/g, ''));
    nameTest = (candidate) => pattern.test(candidate);
  } else if (name !== undefined) {
    throw new TypeError(`filter.name must be a string or a RegExp, got ${describe(name)}`);
  }
  if (host !== undefined && typeof host !== 'string') throw new TypeError(`filter.host must be a string, got ${describe(host)}`);
  let wanted: ReadonlySet<string> | undefined;
  if (status !== undefined) {
    const list: unknown[] = Array.isArray(status) ? [...(status as unknown[])] : [status];
    for (const [index, value] of list.entries()) {
      if (typeof value !== 'string' || !statuses.has(value)) {
        const where = Array.isArray(status) ? `filter.status[${index}]` : 'filter.status';
        throw new TypeError(`${where} must be one of ${[...statuses].join(', ')}; got ${describe(value)}`);
      }
    }
    wanted = new Set(list as string[]);
  }
  return (operation) =>
    nameTest(operation.name) && (host === undefined || operation.host === host) && (wanted === undefined || wanted.has(operation.status));
}

const keyOf = (operation: FleetOperation): string => `${operation.instance}\u0000${operation.id}`;

// What makes an update worth an event (durations move on their own and are not a change).
const signature = (operation: FleetOperation): string =>
  JSON.stringify([operation.name, operation.status, operation.cancelReason, operation.cancelMessage, operation.progress?.at, operation.progress?.message]);

/**
 * Polls `read` while anyone subscribes and reports the differences. One poller serves every listener
 * of a remote; a new listener gets a `start` event for every operation already known.
 */
export class FleetPoller {
  readonly #read: () => Promise<FleetOperation[]>;
  readonly #onError: (error: unknown) => void;
  readonly #listeners = new Map<FleetListener, number>();
  readonly #known = new Map<string, { operation: FleetOperation; signature: string }>();
  #timer: NodeJS.Timeout | undefined;
  #intervalMs = Infinity;
  #busy = false;
  #closed = false;

  constructor(read: () => Promise<FleetOperation[]>, onError: (error: unknown) => void) {
    this.#read = read;
    this.#onError = onError;
  }

  subscribe(listener: FleetListener, options: FleetSubscribeOptions | undefined): () => void {
    if (typeof listener !== 'function') throw new TypeError(`listener must be a function, got ${describe(listener)}`);
    const checked = checkOptions<FleetSubscribeOptions>('options', options, ['intervalMs']);
    const intervalMs = checkInteger('options.intervalMs', checked?.intervalMs, 10, 3_600_000, 1_000);
    if (this.#closed) throw new Error('the remote is closed');
    this.#listeners.set(listener, intervalMs);
    for (const { operation } of this.#known.values()) this.#emit(listener, { type: 'start', operation });
    this.#schedule();
    if (this.#listeners.size === 1) this.#poll();
    return () => {
      if (!this.#listeners.delete(listener)) return;
      this.#schedule();
    };
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#schedule();
  }

  #schedule(): void {
    const intervalMs = this.#listeners.size === 0 ? Infinity : Math.min(...this.#listeners.values());
    if (intervalMs === this.#intervalMs) return;
    this.#intervalMs = intervalMs;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (intervalMs === Infinity) {
      this.#known.clear();
      return;
    }
    this.#timer = setInterval(() => this.#poll(), intervalMs);
    this.#timer.unref();
  }

  #poll(): void {
    if (this.#busy || this.#listeners.size === 0) return;
    this.#busy = true;
    this.#read().then(
      (operations) => {
        this.#busy = false;
        if (this.#listeners.size > 0) this.#diff(operations);
      },
      (error: unknown) => {
        this.#busy = false;
        this.#onError(error);
      },
    );
  }

  #diff(operations: readonly FleetOperation[]): void {
    const seen = new Set<string>();
    for (const operation of operations) {
      const key = keyOf(operation);
      seen.add(key);
      const sign = signature(operation);
      const before = this.#known.get(key);
      this.#known.set(key, { operation, signature: sign });
      if (before === undefined) this.#broadcast({ type: 'start', operation });
      else if (before.signature !== sign) this.#broadcast({ type: 'update', operation });
    }
    for (const [key, { operation }] of this.#known) {
      if (seen.has(key)) continue;
      this.#known.delete(key);
      this.#broadcast({ type: 'end', operation });
    }
  }

  #broadcast(event: FleetEvent): void {
    for (const listener of [...this.#listeners.keys()]) this.#emit(listener, event);
  }

  #emit(listener: FleetListener, event: FleetEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.#onError(error);
    }
  }
}
