/**
 * The PostgreSQL storage of the remote model: a state row inserted once and its NOTIFY in one
 * statement (one transaction: both commit, or neither); leases are rows with an expiry judged by the
 * server's clock; wake-ups arrive on one LISTEN connection per process.
 */
import { CancelationReason } from '../index.js';
import type { CancelState, LeaseWrite, RemoteBackend, RemoteCancelResult, Reporter, WakeConnection, WakeEvents } from '../remote/index.js';
import { PgWake } from './listener.js';
import type { PgClientLike, PgQueryable } from './pg-like.js';
import { createSchema, NOW_MS, type PgNames } from './schema.js';

const CHUNK = 1_000;
const REASONS = Object.values(CancelationReason).map((reason) => `'${reason}'`).join(', ');
const SWEEP_EVERY_MS = 60_000;

export class PostgresBackend implements RemoteBackend {
  readonly kind = 'postgres' as const;
  readonly namespace: string;
  readonly report: Reporter;
  readonly #db: PgQueryable;
  readonly #names: PgNames;
  readonly #schema: string | undefined;
  readonly #listenClient: () => PgClientLike;
  #ready: Promise<void> | undefined;
  #lastSweep = 0;

  constructor(db: PgQueryable, listenClient: () => PgClientLike, namespace: string, schema: string | undefined, names: PgNames, report: Reporter) {
    this.#db = db;
    this.#listenClient = listenClient;
    this.namespace = namespace;
    this.#schema = schema;
    this.#names = names;
    this.report = report;
  }

  async cancel(id: string, state: CancelState, stateTtlMs: number): Promise<RemoteCancelResult> {
    await this.#ensureSchema();
    const { state: table, lease, channel } = this.#names;
    // One statement, so one transaction: the row and the NOTIFY commit together (NOTIFY is delivered
    // at commit). An expired row, or one that is not a state (garbage), is replaced; a live one keeps
    // the first reason.
    const { rows } = await this.#db.query(
      `WITH ins AS (
         INSERT INTO ${table} AS s (id, reason, message, at_ms, canceller, expires_at)
         VALUES ($1, $2, $3, $4, $5, ${NOW_MS} + $6)
         ON CONFLICT (id) DO UPDATE SET reason = EXCLUDED.reason, message = EXCLUDED.message, at_ms = EXCLUDED.at_ms,
           canceller = EXCLUDED.canceller, expires_at = EXCLUDED.expires_at
         WHERE s.expires_at <= ${NOW_MS} OR s.reason NOT IN (${REASONS})
         RETURNING id
       ), woke AS (SELECT pg_notify($7, id) FROM ins)
       SELECT (SELECT count(*) FROM ins)::int AS cancelled, (SELECT count(*) FROM woke)::int AS woke,
         EXISTS (SELECT 1 FROM ${lease} WHERE id = $1 AND expires_at > ${NOW_MS}) AS running`,
      [id, state.reason, state.message, state.at, state.by, stateTtlMs, channel],
    );
    const row = rows[0];
    if (row === undefined) throw new Error('the cancel statement returned no row');
    return { cancelled: Number(row.cancelled) === 1, running: row.running === true };
  }

  async readStates(ids: readonly string[]): Promise<readonly unknown[]> {
    await this.#ensureSchema();
    const byId = new Map<unknown, Record<string, unknown>>();
    for (let start = 0; start < ids.length; start += CHUNK) {
      const { rows } = await this.#db.query(
        `SELECT id, reason, message, at_ms AS at, canceller AS by FROM ${this.#names.state}
         WHERE id = ANY($1::text[]) AND expires_at > ${NOW_MS}`,
        [ids.slice(start, start + CHUNK)],
      );
      for (const row of rows) byId.set(row.id, row);
    }
    return ids.map((id) => byId.get(id) ?? null);
  }

  async putLeases(leases: readonly LeaseWrite[], instance: string, ttlMs: number): Promise<void> {
    await this.#ensureSchema();
    for (let start = 0; start < leases.length; start += CHUNK) {
      const chunk = leases.slice(start, start + CHUNK);
      await this.#db.query(
        `INSERT INTO ${this.#names.lease} (id, instance, record, expires_at)
         SELECT t.id, $2, t.record, ${NOW_MS} + $4 FROM unnest($1::text[], $3::text[]) AS t(id, record)
         ON CONFLICT (id) DO UPDATE SET instance = EXCLUDED.instance, record = EXCLUDED.record, expires_at = EXCLUDED.expires_at`,
        [chunk.map(({ id }) => id), instance, chunk.map(({ value }) => value), ttlMs],
      );
    }
    this.#sweep();
  }

  async dropLeases(ids: readonly string[], instance: string): Promise<void> {
    await this.#ensureSchema();
    for (let start = 0; start < ids.length; start += CHUNK) {
      await this.#db.query(`DELETE FROM ${this.#names.lease} WHERE id = ANY($1::text[]) AND instance = $2`, [ids.slice(start, start + CHUNK), instance]);
    }
  }

  async readLeases(): Promise<ReadonlyArray<{ id: string; value: unknown }>> {
    await this.#ensureSchema();
    const { rows } = await this.#db.query(`SELECT id, record FROM ${this.#names.lease} WHERE expires_at > ${NOW_MS}`);
    return rows.map((row) => ({ id: String(row.id), value: row.record }));
  }

  async readLease(id: string): Promise<unknown> {
    await this.#ensureSchema();
    const { rows } = await this.#db.query(`SELECT record FROM ${this.#names.lease} WHERE id = $1 AND expires_at > ${NOW_MS}`, [id]);
    return rows[0]?.record ?? null;
  }

  openWake(events: WakeEvents): WakeConnection {
    return new PgWake(this.#listenClient, this.#names, events, this.report);
  }

  async close(): Promise<void> {
    // Nothing of its own: the LISTEN connection belongs to the wake connection, the pool to the user.
  }

  #ensureSchema(): Promise<void> {
    return (this.#ready ??= createSchema(this.#db, this.#names, this.#schema).catch((error: unknown) => {
      this.#ready = undefined; // try again on the next call
      throw error;
    }));
  }

  /** Deletes expired rows now and then (leases of processes that died, states past their TTL). */
  #sweep(): void {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    const { state, lease } = this.#names;
    Promise.all([
      this.#db.query(`DELETE FROM ${lease} WHERE expires_at < ${NOW_MS} - 60000`),
      this.#db.query(`DELETE FROM ${state} WHERE expires_at < ${NOW_MS}`),
    ]).catch((error: unknown) => this.report('failure', 'sweep', error));
  }
}
