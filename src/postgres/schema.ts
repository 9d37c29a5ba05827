/**
 * Table and channel names, and the schema, created on first use. Names derive from a validated
 * namespace (and optional schema) and are always double-quoted.
 */
import type { PgQueryable } from './pg-like.js';

/** The server's clock in epoch milliseconds: expiry is judged by one clock, not by each client's. */
export const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** The SQL names of one namespace. */
export interface PgNames {
  /** The cancel states: one row per cancelled id. */
  readonly state: string;
  /** The leases: one row per live id. */
  readonly lease: string;
  /** The NOTIFY channel name, as a value (for `pg_notify`). */
  readonly channel: string;
  /** The same, as an identifier (for `LISTEN`). */
  readonly channelIdentifier: string;
  /** The listener connection's `application_name`. */
  readonly listenerName: string;
}

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

export function pgNames(namespace: string, schema: string | undefined): PgNames {
  const qualify = (table: string): string => (schema === undefined ? quote(table) : `${quote(schema)}.${quote(table)}`);
  return {
    state: qualify(`${namespace}_state`),
    lease: qualify(`${namespace}_lease`),
    channel: `${namespace}_cancel`,
    channelIdentifier: quote(`${namespace}_cancel`),
    listenerName: `cancelable:${namespace}:listen`,
  };
}

/**
 * Creates the tables if they are missing. Several processes may race here on first use: the loser of
 * a concurrent CREATE gets a duplicate error, which means the table is there.
 */
export async function createSchema(db: PgQueryable, names: PgNames, schema: string | undefined): Promise<void> {
  const statements = [
    ...(schema === undefined ? [] : [`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`]),
    `CREATE TABLE IF NOT EXISTS ${names.state} (
      id text PRIMARY KEY,
      reason text NOT NULL,
      message text,
      at_ms bigint NOT NULL,
      canceller text NOT NULL,
      expires_at bigint NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ${names.lease} (
      id text PRIMARY KEY,
      instance text NOT NULL,
      record text NOT NULL,
      expires_at bigint NOT NULL
    )`,
  ];
  for (const statement of statements) {
    try {
      await db.query(statement);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // Created meanwhile by another process: 23505 unique_violation (pg_type), 42710 duplicate_object
      // ('type ... already exists', the table's row type), 42P07 duplicate_table, 42P06 duplicate_schema.
      if (code !== '23505' && code !== '42710' && code !== '42P07' && code !== '42P06') throw error;
    }
  }
}
