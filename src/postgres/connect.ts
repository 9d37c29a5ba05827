/**
 * A remote from a URL, for tools (the CLI, the dashboard): loads `pg`, makes a small pool, checks the
 * server answers, and owns the pool (ended by `remote.close()`).
 */
import { checkInteger, checkOptions, describe, remoteOptionKeys, type RemoteCancelation } from '../remote/index.js';
import { createPostgresCancelation, type PostgresCancelationOptions } from './create.js';
import type { PgPoolLike } from './pg-like.js';

/** Options of {@link connectPostgresCancelation}. */
export interface ConnectPostgresOptions extends Omit<PostgresCancelationOptions, 'pool' | 'client' | 'listenClient' | 'closeClient'> {
  /** Give up connecting after this long. Default 5,000 ms. */
  connectTimeoutMs?: number;
}

/** The URL with its password hidden, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}

/**
 * Connects to the PostgreSQL at `url` (`postgres://` or `postgresql://`) with `pg` and returns a
 * remote that owns its pool: `remote.close()` ends it. Rejects with a clear error when the server
 * does not answer within `connectTimeoutMs` or `pg` is not installed.
 * @example
 * ```ts
 * const remote = await connectPostgresCancelation('postgres://postgres@127.0.0.1:5432/app');
 * console.table(await remote.list());
 * await remote.close();
 * ```
 */
export async function connectPostgresCancelation(url: string, options?: ConnectPostgresOptions): Promise<RemoteCancelation> {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//i.test(url)) {
    throw new TypeError(`url must be a postgres:// or postgresql:// URL, got ${describe(typeof url === 'string' ? redact(url) : url)}`);
  }
  const checked = checkOptions<ConnectPostgresOptions>('options', options, ['namespace', 'schema', 'connectTimeoutMs', ...remoteOptionKeys]) ?? {};
  const timeoutMs = checkInteger('options.connectTimeoutMs', checked.connectTimeoutMs, 1, 600_000, 5_000);
  const { connectTimeoutMs: _timeout, ...rest } = checked;
  let pg: { default?: { Pool?: PoolConstructor }; Pool?: PoolConstructor };
  const moduleName = 'pg'; // a variable: bundlers must not resolve the optional peer at build time
  try {
    pg = (await import(moduleName)) as typeof pg;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`pg is not installed to connect to ${redact(url)}: npm install pg`);
    }
    throw error;
  }
  const Pool = pg.Pool ?? pg.default?.Pool;
  if (typeof Pool !== 'function') throw new Error('the installed pg has no Pool');
  const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: timeoutMs, application_name: 'cancelable' });
  pool.on('error', () => undefined); // an idle client that dies: the pool replaces it
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`could not connect to PostgreSQL at ${redact(url)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    return createPostgresCancelation({ ...rest, pool, closeClient: true });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

type PoolConstructor = new (config: object) => PgPoolLike & { on(event: string, listener: () => void): unknown };
