import { ProgressTimelines, type ProgressPoint } from './progress-timeline.js';
import { sanitizeOperation, toRow, type OperationRow } from './sanitize.js';
import type { DashboardOperation, DashboardSource, SourceEvent } from './types.js';

/** Limits of an {@link OperationStore}. */
export interface StoreLimits {
  /** Operations tracked at once (live and lingering); beyond, new ones are counted, not shown. */
  maxOperations: number;
  /** How long an ended operation stays in the live view, in ms. */
  lingerMs: number;
  /** Progress reports kept per operation. */
  progressHistory: number;
  /** How often a source without `watch` is polled while someone watches, in ms. */
  pollMs: number;
  /** Ended operations kept for fleet sources (which keep no history themselves). */
  historyLimit: number;
}

interface Entry {
  operation: DashboardOperation;
  row: OperationRow;
  /** When it left the live set (epoch ms); undefined while live. */
  endedAt: number | undefined;
  /** A cancel sent from the dashboard, until the operation ends. */
  requested: string | undefined;
}

/** Counts shown in the page header. */
export interface StoreStats {
  running: number;
  /** Ended operations still shown in the live view, by final status. */
  recent: Record<string, number>;
  /** Operations not shown because {@link StoreLimits.maxOperations} was reached. */
  untracked: number;
}

/**
 * The dashboard's model of a source: live operations (and recently ended ones, for `lingerMs`), their
 * progress timelines, and change notifications by id for the SSE streams. Fed by the source's `watch`
 * events, or by polling `list()` and diffing.
 */
export class OperationStore {
  readonly source: DashboardSource;
  readonly #limits: StoreLimits;
  readonly #entries = new Map<string, Entry>();
  /** Ended entries by end time (insertion order), to expire them in O(1) each. */
  readonly #ended = new Map<string, number>();
  readonly #timelines: ProgressTimelines;
  readonly #history: DashboardOperation[] = [];
  readonly #listeners = new Set<(id: string, urgent: boolean) => void>();
  #untracked = 0;
  #started: Promise<void> | undefined;
  #stopWatching: (() => void) | undefined;
  #lastPoll = 0;
  #polling: Promise<void> | undefined;
  #closed = false;

  constructor(source: DashboardSource, limits: StoreLimits) {
    this.source = source;
    this.#limits = limits;
    this.#timelines = new ProgressTimelines(limits.progressHistory, limits.maxOperations);
  }

  /** Whether changes are pushed (else {@link OperationStore.poll} reads them). */
  get watched(): boolean {
    return typeof this.source.watch === 'function';
  }

  /** Subscribes to the source and loads the live operations once. Idempotent. */
  start(): Promise<void> {
    this.#started ??= this.#start().catch((error: unknown) => {
      // A source that failed (a connection refused) is tried again on the next request.
      this.#stopWatching?.();
      this.#stopWatching = undefined;
      this.#started = undefined;
      throw error;
    });
    return this.#started;
  }

  async #start(): Promise<void> {
    if (this.source.watch !== undefined) {
      this.#stopWatching = this.source.watch((event) => this.#onEvent(event));
    }
    const list = await this.source.list();
    for (const raw of list) this.#upsert(raw, false);
    this.#lastPoll = Date.now();
  }

  /**
   * Calls `listener(id, urgent)` whenever the operation with that id changes, appears or goes;
   * `urgent` unless only its progress changed (status changes are worth sending at once).
   */
  onChange(listener: (id: string, urgent: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Reads a polled source again when its last read is older than `pollMs` (or `force`), and applies
   * the difference: new and changed operations, and those gone (ended).
   */
  async poll(force = false): Promise<void> {
    await this.start();
    if (this.watched || this.#closed) return;
    if (!force && Date.now() - this.#lastPoll < this.#limits.pollMs) return;
    this.#polling ??= this.#pollOnce().finally(() => (this.#polling = undefined));
    await this.#polling;
  }

  async #pollOnce(): Promise<void> {
    const list = await this.source.list();
    this.#lastPoll = Date.now();
    const seen = new Set<string>();
    for (const raw of list) {
      const id = this.#upsert(raw, true);
      if (id !== undefined) seen.add(id);
    }
    for (const [id, entry] of this.#entries) {
      if (entry.endedAt === undefined && !seen.has(id)) this.#end(entry, entry.requested !== undefined || entry.operation.cancelReason !== null ? 'cancelled' : 'ended');
    }
  }

  /** Every tracked entry (live first in start order, then lingering), after expiring old ones. */
  rows(): OperationRow[] {
    this.#expire();
    const rows: OperationRow[] = [];
    for (const entry of this.#entries.values()) rows.push(entry.row);
    return rows;
  }

  /** The row of `id`, if tracked. */
  row(id: string): OperationRow | undefined {
    return this.#entries.get(id)?.row;
  }

  /** The last known full operation of `id`, if tracked. */
  operation(id: string): DashboardOperation | undefined {
    return this.#entries.get(id)?.operation;
  }

  /** Whether `id` is tracked and still running. */
  isLive(id: string): boolean {
    const entry = this.#entries.get(id);
    return entry !== undefined && entry.endedAt === undefined;
  }

  /** Ids of the live operations under `id` (any depth), deepest first, then `id` itself. */
  subtree(id: string): string[] {
    const children = new Map<string, string[]>();
    for (const [childId, entry] of this.#entries) {
      const parentId = entry.operation.parentId;
      if (parentId === null || entry.endedAt !== undefined) continue;
      let list = children.get(parentId);
      if (list === undefined) children.set(parentId, (list = []));
      list.push(childId);
    }
    const order: string[] = [];
    const stack = [id];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue; // a cycle in hostile data
      seen.add(next);
      order.push(next);
      for (const child of children.get(next) ?? []) stack.push(child);
    }
    return order.reverse();
  }

  /** The progress timeline of `id`, oldest first. */
  timeline(id: string): ProgressPoint[] {
    return this.#timelines.get(id);
  }

  /** Operations that ended while watched (for sources without a history of their own), oldest first. */
  seenEnded(limit: number): DashboardOperation[] {
    return this.#history.slice(Math.max(0, this.#history.length - limit));
  }

  /** Notes a cancel sent from the dashboard (shown until the operation ends). */
  noteCancelRequested(id: string, message: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.endedAt !== undefined) return;
    entry.requested = message;
    entry.row = { ...entry.row, requested: message };
    this.#changed(id, true);
  }

  stats(): StoreStats {
    this.#expire();
    const recent: Record<string, number> = {};
    let running = 0;
    for (const entry of this.#entries.values()) {
      if (entry.endedAt === undefined) running++;
      else recent[entry.row.status] = (recent[entry.row.status] ?? 0) + 1;
    }
    return { running, recent, untracked: this.#untracked };
  }

  /** Stops watching the source and closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching?.();
    this.#stopWatching = undefined;
    this.#listeners.clear();
    await this.source.close?.();
  }

  #onEvent(event: SourceEvent): void {
    if (this.#closed || event === null || typeof event !== 'object') return;
    if (event.type === 'end') {
      const operation = sanitizeOperation(event.context);
      if (operation === undefined) return;
      const entry = this.#entries.get(operation.id);
      if (entry === undefined) {
        if (!this.#track(operation)) return;
        this.#end(this.#entries.get(operation.id) as Entry, operation.status);
        return;
      }
      entry.operation = operation;
      this.#end(entry, operation.status);
      return;
    }
    this.#upsert(event.context, true);
  }

  /** Applies a snapshot of a live operation; returns its id (undefined when unusable or untracked). */
  #upsert(raw: unknown, notify: boolean): string | undefined {
    const operation = sanitizeOperation(raw);
    if (operation === undefined) return undefined;
    const entry = this.#entries.get(operation.id);
    if (entry === undefined) {
      if (!this.#track(operation)) return undefined;
      if (notify) this.#changed(operation.id, true);
      return operation.id;
    }
    if (entry.endedAt !== undefined) return operation.id; // an update racing the end: the end wins
    const before = entry.row;
    entry.operation = operation;
    this.#recordProgress(operation);
    const row = toRow(operation);
    if (entry.requested !== undefined) row.requested = entry.requested;
    entry.row = row;
    if (notify && !sameRow(before, row)) this.#changed(operation.id, before.status !== row.status || before.cancelReason !== row.cancelReason);
    return operation.id;
  }

  #track(operation: DashboardOperation): boolean {
    this.#expire();
    if (this.#entries.size >= this.#limits.maxOperations) {
      this.#untracked++;
      return false;
    }
    this.#entries.set(operation.id, { operation, row: toRow(operation), endedAt: undefined, requested: undefined });
    this.#recordProgress(operation);
    return true;
  }

  #recordProgress(operation: DashboardOperation): void {
    const progress = operation.progress;
    if (progress !== null) this.#timelines.record(operation.id, { message: progress.message, at: progress.at });
  }

  #end(entry: Entry, status: string): void {
    const operation = entry.operation;
    this.#recordProgress(operation);
    entry.endedAt = Date.now();
    entry.requested = undefined;
    entry.row = toRow(operation, status);
    this.#ended.set(operation.id, entry.endedAt);
    this.#changed(operation.id, true);
    if (!this.watched || this.source.kind === 'fleet') {
      this.#history.push({ ...operation, status: status as DashboardOperation['status'] });
      if (this.#history.length > this.#limits.historyLimit) this.#history.shift();
    }
  }

  /** Drops ended entries older than `lingerMs` (notifying, so the streams remove them). */
  #expire(): void {
    const cutoff = Date.now() - this.#limits.lingerMs;
    for (const [id, endedAt] of this.#ended) {
      if (endedAt > cutoff) break;
      this.#ended.delete(id);
      this.#entries.delete(id);
      this.#changed(id, false);
    }
  }

  #changed(id: string, urgent: boolean): void {
    for (const listener of this.#listeners) listener(id, urgent);
  }
}

function sameRow(a: OperationRow, b: OperationRow): boolean {
  return (
    a.status === b.status &&
    a.name === b.name &&
    a.parentId === b.parentId &&
    a.cancelReason === b.cancelReason &&
    a.cancelMessage === b.cancelMessage &&
    a.error === b.error &&
    a.progress?.at === b.progress?.at &&
    a.progress?.message === b.progress?.message &&
    a.requested === b.requested
  );
}
