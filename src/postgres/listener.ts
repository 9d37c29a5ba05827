/**
 * The LISTEN side: one dedicated connection per process, made by the factory (a pg Client cannot
 * reconnect, so a lost connection is replaced by a new one, with backoff). After every reconnect the
 * watchers re-read every id: a NOTIFY sent while nobody listened is never delivered.
 */
import { describe, isValidId, type Reporter, type WakeConnection, type WakeEvents } from '../remote/index.js';
import type { PgClientLike, PgNotification } from './pg-like.js';
import type { PgNames } from './schema.js';

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5_000;

export class PgWake implements WakeConnection {
  readonly #factory: () => PgClientLike;
  readonly #names: PgNames;
  readonly #events: WakeEvents;
  readonly #report: Reporter;
  #client: PgClientLike | undefined;
  #listening: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #connectedBefore = false;
  #closed = false;

  constructor(factory: () => PgClientLike, names: PgNames, events: WakeEvents, report: Reporter) {
    this.#factory = factory;
    this.#names = names;
    this.#events = events;
    this.#report = report;
  }

  /** One channel serves every id: once listening, every id is covered. */
  add(_ids: readonly string[]): Promise<void> {
    return (this.#listening ??= this.#open());
  }

  async remove(_ids: readonly string[]): Promise<void> {
    // One channel for the namespace: nothing per id.
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    await this.#listening?.catch(() => undefined);
    const late = this.#client; // a connection that completed while closing
    this.#client = undefined;
    for (const open of [client, late]) await open?.end().catch(() => undefined);
  }

  async #open(): Promise<void> {
    if (this.#closed) throw new Error('the LISTEN connection is closed');
    const client = this.#factory();
    let lost = false;
    const onLost = (error?: unknown): void => {
      if (lost) return;
      lost = true;
      if (error !== undefined && !this.#closed) this.#report('failure', 'connection', error);
      if (this.#client === client) this.#client = undefined;
      void client.end().catch(() => undefined);
      this.#scheduleReconnect();
    };
    client.on('notification', ((message: PgNotification) => this.#onNotification(message)));
    client.on('error', onLost);
    client.on('end', (() => onLost()));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#names.channelIdentifier}`);
    } catch (error) {
      lost = true;
      void client.end().catch(() => undefined);
      if (!this.#closed) this.#scheduleReconnect();
      throw error;
    }
    if (this.#closed) {
      void client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    // Back after a loss, or after failed first attempts: whatever was notified meanwhile is gone.
    const recovering = this.#connectedBefore || this.#attempt > 0;
    this.#attempt = 0;
    this.#connectedBefore = true;
    if (recovering) this.#events.reconnected();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer !== undefined) return;
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.#attempt++);
    const delay = base / 2 + Math.random() * (base / 2); // jitter: a fleet does not reconnect in lockstep
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#listening = this.#open();
      this.#listening.catch((error: unknown) => this.#report('failure', 'reconnect', error));
    }, delay);
    this.#retryTimer.unref();
  }

  #onNotification(message: PgNotification): void {
    if (this.#closed || message.channel !== this.#names.channel) return;
    const payload = message.payload;
    if (isValidId(payload)) this.#events.wake([payload]);
    else this.#report('garbage', 'message', new Error(`a notification on ${describe(message.channel)} is not a valid id: ${describe(payload)}`));
  }
}
