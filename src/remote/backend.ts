/**
 * What a storage backend (Redis, PostgreSQL) provides to the shared model: a handful of commands on
 * the state and the leases, and a wake-up connection. Everything else (watching, leases, the fleet,
 * the registry mirror) is written once, in src/remote, on top of this.
 */
import type { Reporter } from './diagnostics.js';
import type { CancelState } from './records.js';

/** What `remote.cancel()` resolves with. */
export interface RemoteCancelResult {
  /** False when the id was already cancelled: the first reason and message stay, everywhere. */
  cancelled: boolean;
  /** Whether a live lease holder exists for the id (something is running it somewhere). */
  running: boolean;
}

/** Where a wake-up connection delivers. */
export interface WakeEvents {
  /** A wake-up named these ids (valid ids only; the backend reports garbage itself). */
  wake(ids: readonly string[]): void;
  /** The connection came back after a loss: whatever was published meanwhile never arrives. */
  reconnected(): void;
}

/**
 * The connection that receives wake-ups (Redis: one subscriber connection; PostgreSQL: one LISTEN
 * connection). It connects on the first `add` and reconnects by itself.
 */
export interface WakeConnection {
  /** Wake-ups for these ids reach the events from the moment this resolves (subscribe, then read). */
  add(ids: readonly string[]): Promise<void>;
  /** Stops wake-ups for these ids (only meaningful for per-id channels). */
  remove(ids: readonly string[]): Promise<void>;
  /** Closes the connection; nothing is delivered afterwards. */
  close(): Promise<void>;
}

/** A lease to write: its id and encoded record. */
export interface LeaseWrite {
  id: string;
  value: string;
}

/** The storage side of a remote: one per `createRedisCancelation` / `createPostgresCancelation`. */
export interface RemoteBackend {
  readonly kind: 'redis' | 'postgres';
  readonly namespace: string;
  readonly report: Reporter;
  /** Writes the state if absent and wakes the watchers, atomically; says whether a lease holder exists. */
  cancel(id: string, state: CancelState, stateTtlMs: number): Promise<RemoteCancelResult>;
  /** The raw stored states of `ids`, in order (`null` or `undefined` where none). */
  readStates(ids: readonly string[]): Promise<readonly unknown[]>;
  /** Writes (or renews) leases owned by `instance`, expiring after `ttlMs`. */
  putLeases(leases: readonly LeaseWrite[], instance: string, ttlMs: number): Promise<void>;
  /** Deletes leases, only where `instance` still owns them. */
  dropLeases(ids: readonly string[], instance: string): Promise<void>;
  /** Every live lease (raw records; ids as stored). */
  readLeases(): Promise<ReadonlyArray<{ id: string; value: unknown }>>;
  /** One live lease (raw record), or null. */
  readLease(id: string): Promise<unknown>;
  /** Creates (without connecting yet) the wake-up connection. */
  openWake(events: WakeEvents): WakeConnection;
  /** Releases what the backend itself opened (never the user's client). */
  close(): Promise<void>;
}
