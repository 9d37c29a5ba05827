/**
 * The parts of `pg` the backend uses, typed by shape so that `pg` is never imported: a Pool, or a
 * Client, as the user hands them in.
 */

/** The result of a query. */
export interface PgResultLike {
  rows: Array<Record<string, unknown>>;
}

/** Anything that runs a parameterised query (a Pool or a Client). */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<PgResultLike>;
}

/** A `pg.Client`. */
export interface PgClientLike extends PgQueryable {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeAllListeners?(event?: string): unknown;
  /** Set by pg once connected: the server process id (for `pg_terminate_backend`). */
  processID?: number | null;
  /** pg keeps the parsed connection settings here. */
  connectionParameters?: Record<string, unknown>;
}

/** A `pg.Pool`. */
export interface PgPoolLike extends PgQueryable {
  /** The options the pool was made with (its clients' connection settings). */
  options?: Record<string, unknown>;
  /** The Client class the pool makes connections with. */
  Client?: new (config: Record<string, unknown>) => PgClientLike;
  end(): Promise<unknown>;
}

/** A notification delivered to a LISTENing client. */
export interface PgNotification {
  channel: string;
  payload?: string;
}

/** Whether `value` runs queries. */
export function isQueryable(value: unknown): value is PgQueryable {
  return value !== null && typeof value === 'object' && typeof (value as { query?: unknown }).query === 'function';
}
