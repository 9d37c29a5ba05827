import type { OperationRow } from './sanitize.js';
import type { OperationStore, StoreStats } from './store.js';

/** One server-sent-events connection, whatever the transport. */
export interface SseWriter {
  write(chunk: string): void;
  /** Bytes written and not yet taken by the peer (our buffers and the socket's). */
  buffered(): number;
  /** Ends the connection at once (a laggard, or the dashboard closing). */
  close(): void;
}

/** Limits of the event streams. */
export interface SseLimits {
  /** How often changes are sent, in ms. */
  intervalMs: number;
  /** At most this many operation updates per stream per interval (the rest wait, coalesced by id). */
  maxUpdatesPerInterval: number;
  /** Above this many buffered bytes a stream gets nothing more until it drains. */
  softBufferBytes: number;
  /** A stream buffering more than this is dropped at once. */
  maxBufferedBytes: number;
  /** A stream that stays above `softBufferBytes` this long is dropped, in ms. */
  maxLagMs: number;
  /** Streams served at once; more are refused (503). */
  maxClients: number;
}

const ROWS_PER_MESSAGE = 500;
const HEARTBEAT_MS = 15_000;

interface Client {
  readonly writer: SseWriter;
  /** Ids changed since last sent: a slow client's backlog is one entry per operation, not per event. */
  readonly pending: Set<string>;
  /** Pending ids whose status changed: sent on the next turn of the event loop, not the next tick. */
  readonly urgent: Set<string>;
  lagSince: number | undefined;
  lastWrite: number;
}

/** What {@link SseHub.stats} reports. */
export interface SseStats {
  clients: number;
  /** Bytes buffered for all streams now. */
  bufferedBytes: number;
  /** The most any one stream had buffered at a check. */
  peakBufferedBytes: number;
  /** Streams dropped for lagging. */
  dropped: number;
}

/**
 * The dashboard's event streams. Store changes mark ids pending per stream; every `intervalMs` each
 * stream gets its pending rows (at most `maxUpdatesPerInterval`, in messages of 500), as long as its
 * buffer stays under `softBufferBytes`. A stream that does not drain within `maxLagMs`, or buffers more
 * than `maxBufferedBytes`, is dropped (a browser's EventSource reconnects and starts afresh).
 */
export class SseHub {
  readonly #store: OperationStore;
  readonly #limits: SseLimits;
  readonly #clients = new Set<Client>();
  readonly #offChange: () => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #urgentScheduled = false;
  #dropped = 0;
  #peak = 0;

  constructor(store: OperationStore, limits: SseLimits) {
    this.#store = store;
    this.#limits = limits;
    this.#offChange = store.onChange((id, urgent) => {
      if (this.#clients.size === 0) return;
      for (const client of this.#clients) {
        client.pending.add(id);
        if (urgent) client.urgent.add(id);
      }
      if (urgent && !this.#urgentScheduled) {
        this.#urgentScheduled = true;
        setImmediate(() => this.#flushUrgent());
      }
    });
  }

  /** Whether {@link SseHub.add} would refuse a stream (`maxClients` reached). */
  get full(): boolean {
    return this.#clients.size >= this.#limits.maxClients;
  }

  /** Adds a stream: it first gets every tracked operation. Returns its removal, or undefined when full. */
  add(writer: SseWriter): (() => void) | undefined {
    if (this.#clients.size >= this.#limits.maxClients) return undefined;
    const client: Client = {
      writer,
      pending: new Set(this.#store.rows().map((row) => row.id)),
      urgent: new Set(),
      lagSince: undefined,
      lastWrite: Date.now(),
    };
    this.#clients.add(client);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.#limits.intervalMs);
      // The streams' sockets keep the process alive while anyone watches; this timer never does.
      this.#timer.unref?.();
    }
    writer.write(`retry: 3000\nevent: reset\ndata: {}\n\n`);
    this.#flush(client, Date.now(), this.#store.stats());
    return () => this.#remove(client);
  }

  stats(): SseStats {
    let buffered = 0;
    for (const client of this.#clients) buffered += client.writer.buffered();
    return { clients: this.#clients.size, bufferedBytes: buffered, peakBufferedBytes: this.#peak, dropped: this.#dropped };
  }

  /** Ends every stream and stops. */
  close(): void {
    this.#offChange();
    for (const client of [...this.#clients]) {
      this.#remove(client);
      client.writer.close();
    }
  }

  #remove(client: Client): void {
    this.#clients.delete(client);
    client.pending.clear();
    client.urgent.clear();
    if (this.#clients.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    if (!this.#store.watched) void this.#store.poll().catch(() => undefined);
    const now = Date.now();
    const stats = this.#store.stats();
    for (const client of [...this.#clients]) this.#flush(client, now, stats);
  }

  /** Sends status changes (a start, an end, a cancel request) at once, within the same bounds. */
  #flushUrgent(): void {
    this.#urgentScheduled = false;
    const stats = this.#store.stats();
    for (const client of [...this.#clients]) {
      if (client.urgent.size === 0 || client.writer.buffered() > this.#limits.softBufferBytes) continue;
      const rows: OperationRow[] = [];
      const removed: string[] = [];
      for (const id of client.urgent) {
        client.urgent.delete(id);
        client.pending.delete(id);
        const row = this.#store.row(id);
        if (row === undefined) removed.push(id);
        else rows.push(row);
        if (rows.length + removed.length >= ROWS_PER_MESSAGE) break;
      }
      client.writer.write(`event: ops\ndata: ${JSON.stringify({ rows, removed, stats })}\n\n`);
      client.lastWrite = Date.now();
    }
  }

  #drop(client: Client): void {
    this.#dropped++;
    this.#remove(client);
    client.writer.close();
  }

  #flush(client: Client, now: number, stats: StoreStats): void {
    const { writer, pending } = client;
    const limits = this.#limits;
    let buffered = writer.buffered();
    if (buffered > this.#peak) this.#peak = buffered;
    if (buffered > limits.maxBufferedBytes) return this.#drop(client);
    if (buffered > limits.softBufferBytes) {
      client.lagSince ??= now;
      if (now - client.lagSince > limits.maxLagMs) this.#drop(client);
      return;
    }
    client.lagSince = undefined;
    if (pending.size === 0) {
      if (now - client.lastWrite > HEARTBEAT_MS) {
        writer.write(': ping\n\n');
        client.lastWrite = now;
      }
      return;
    }
    let budget = limits.maxUpdatesPerInterval;
    while (pending.size > 0 && budget > 0 && buffered <= limits.softBufferBytes) {
      const rows: OperationRow[] = [];
      const removed: string[] = [];
      const size = Math.min(ROWS_PER_MESSAGE, budget);
      for (const id of pending) {
        pending.delete(id);
        client.urgent.delete(id);
        const row = this.#store.row(id);
        if (row === undefined) removed.push(id);
        else rows.push(row);
        if (rows.length + removed.length >= size) break;
      }
      budget -= rows.length + removed.length;
      writer.write(`event: ops\ndata: ${JSON.stringify({ rows, removed, stats })}\n\n`);
      client.lastWrite = now;
      buffered = writer.buffered();
      if (buffered > this.#peak) this.#peak = buffered;
    }
  }
}
