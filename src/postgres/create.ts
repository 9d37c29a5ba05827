import {
  checkNamespace,
  checkOptions,
  describe,
  remoteOptionKeys,
  reporterFor,
  RemoteCancelation,
  type RemoteOptions,
} from '../remote/index.js';
import { isQueryable, type PgClientLike, type PgPoolLike, type PgQueryable } from './pg-like.js';
import { PostgresBackend } from './postgres-backend.js';
import { pgNames } from './schema.js';

/** Options of {@link createPostgresCancelation}: a `pool` or a `client`. */
export interface PostgresCancelationOptions extends RemoteOptions {
  /** A `pg.Pool`: queries go through it; the LISTEN connection is a new Client with its settings. */
  pool?: PgPoolLike | object;
  /** A connected `pg.Client` (when there is no pool): queries go through it; LISTEN gets its own connection. */
  client?: PgClientLike | object;
  /** Makes the dedicated LISTEN connection (not connected yet). Default: a new Client with the pool's or client's settings. */
  listenClient?: () => PgClientLike;
  /** The prefix of the tables and the channel: lowercase letters, digits, `_` (up to 40). Default `cancelable`. */
  namespace?: string;
  /** The schema of the tables (created if missing). Default: the connection's search_path. */
  schema?: string;
  /** End the pool (or client) in `remote.close()`. Default false: it is yours. */
  closeClient?: boolean;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,39}$/;
const IDENTIFIER_RULE = 'lowercase letters, digits and _, starting with a letter or _ (1 to 40)';

/**
 * Cancellation across processes and machines through PostgreSQL (SPEC §11): returns a
 * {@link RemoteCancelation}. A cancel inserts the state row (`ON CONFLICT`: the first reason stays)
 * and sends `NOTIFY` in one transaction; each process LISTENs on one dedicated connection, reads the
 * state after LISTEN and after every reconnect, and polls slowly as the last net. The tables
 * (`<namespace>_state`, `<namespace>_lease`) are created on first use.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresCancelation } from 'cancelable-ts/postgres';
 *
 * const remote = createPostgresCancelation({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) });
 * await new Cancelable({ sources: [remote.source('import-9')] }).run((scope) => importRows(scope.signal));
 * // from any other process: await remote.cancel('import-9', { message: 'Stopped by the user' });
 * ```
 */
export function createPostgresCancelation(options: PostgresCancelationOptions): RemoteCancelation {
  if (options === undefined) throw new TypeError('options must be an options object with a pool or a client, got undefined');
  if (isQueryable(options)) {
    throw new TypeError('options must be an options object: pass createPostgresCancelation({ pool }) or ({ client })');
  }
  const checked = checkOptions<PostgresCancelationOptions>('options', options, [
    'pool',
    'client',
    'listenClient',
    'namespace',
    'schema',
    'closeClient',
    ...remoteOptionKeys,
  ]) as PostgresCancelationOptions;
  const { pool, client } = checked;
  if ((pool === undefined) === (client === undefined)) {
    throw new TypeError('options must have exactly one of pool (a pg.Pool) and client (a pg.Client)');
  }
  const db = pool ?? client;
  if (!isQueryable(db)) {
    throw new TypeError(`options.${pool === undefined ? 'client' : 'pool'} must be a pg ${pool === undefined ? 'Client' : 'Pool'}, got ${describe(db)}`);
  }
  const namespace = checkNamespace('options.namespace', checked.namespace, IDENTIFIER, IDENTIFIER_RULE, 'cancelable');
  const schema = checked.schema === undefined ? undefined : checkNamespace('options.schema', checked.schema, IDENTIFIER, IDENTIFIER_RULE, '');
  if (checked.listenClient !== undefined && typeof checked.listenClient !== 'function') {
    throw new TypeError(`options.listenClient must be a function, got ${describe(checked.listenClient)}`);
  }
  if (checked.closeClient !== undefined && typeof checked.closeClient !== 'boolean') {
    throw new TypeError(`options.closeClient must be a boolean, got ${describe(checked.closeClient)}`);
  }
  const names = pgNames(namespace, schema);
  const listenClient = checked.listenClient ?? defaultListenClient(pool as PgPoolLike | undefined, client as PgClientLike | undefined, names.listenerName);
  const backend = new PostgresBackend(db, listenClient, namespace, schema, names, reporterFor('postgres', namespace));
  return new RemoteCancelation(backend, checked, async () => {
    if (checked.closeClient === true) await (db as PgQueryable & { end(): Promise<unknown> }).end();
  });
}

/** A factory of LISTEN connections with the settings of the user's pool or client. */
function defaultListenClient(pool: PgPoolLike | undefined, client: PgClientLike | undefined, applicationName: string): () => PgClientLike {
  if (pool !== undefined) {
    const Client = pool.Client;
    if (typeof Client !== 'function' || pool.options === undefined) {
      throw new TypeError('options.pool does not expose its Client and options (is it a pg.Pool?): pass options.listenClient');
    }
    const settings = pool.options;
    return () => new Client({ ...settings, application_name: applicationName, keepAlive: true });
  }
  const Client = (client as { constructor?: unknown }).constructor;
  const parameters = client?.connectionParameters;
  if (typeof Client !== 'function' || parameters === undefined) {
    throw new TypeError('options.client does not expose its connection settings (is it a pg.Client?): pass options.listenClient');
  }
  // Read field by field: pg keeps the password as a non-enumerable property.
  const settings: Record<string, unknown> = {};
  for (const key of ['user', 'password', 'host', 'port', 'database', 'ssl', 'options', 'client_encoding', 'connect_timeout']) {
    if (parameters[key] !== undefined && parameters[key] !== null) settings[key] = parameters[key];
  }
  const make = Client as new (config: Record<string, unknown>) => PgClientLike;
  return () => new make({ ...settings, application_name: applicationName, keepAlive: true });
}
