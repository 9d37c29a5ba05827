// cancelable-ts/postgres against a real PostgreSQL: the API of SPEC §11 through a pg Pool and a pg
// Client, and what a hostile writer can do to it.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { Cancelable, CancelationToken, ManualCancelation, OperationRegistry, SignalCancelation } from '../../src/index.js';
import { createPostgresCancelation, type FleetEvent, type PostgresCancelationOptions, type RemoteCancelation } from '../../src/postgres/index.js';
import { collectRemoteErrors, pgPool, rejection, sleep, waitFor } from './helpers.js';
import { uniqueNamespace, usePostgres, type TestServer } from './servers.js';

let server: TestServer;
let admin: pg.Pool;
const ns = uniqueNamespace('pg');
const pools: pg.Pool[] = [];
const clients: pg.Client[] = [];
const remotes: RemoteCancelation[] = [];

beforeAll(async () => {
  server = await usePostgres();
  admin = pgPool(server.url, 2);
}, 60_000);

afterAll(async () => {
  await admin?.query(`DROP TABLE IF EXISTS "${ns}_state", "${ns}_lease"`);
  await admin?.query(`DROP SCHEMA IF EXISTS "${ns}_schema" CASCADE`);
  await admin?.end();
  await server?.stop();
});

afterEach(async () => {
  for (const made of remotes.splice(0)) await made.close();
  for (const pool of pools.splice(0)) await pool.end();
  for (const client of clients.splice(0)) await client.end();
});

/** A remote on its own pool: as another process would have. */
function remote(options: Partial<PostgresCancelationOptions> = {}): RemoteCancelation {
  const pool = pgPool(server.url);
  pools.push(pool);
  const made = createPostgresCancelation({ pool, namespace: ns, pollMs: 3_600_000, ...options });
  remotes.push(made);
  return made;
}

/** LISTEN connections of the namespace, from the server's own pg_stat_activity. */
async function listeners(namespace = ns): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
    [`cancelable:${namespace}:listen`],
  );
  return rows[0]!.n;
}

test('a scope is cancelled by remote.cancel through another pool, with its reason and message', async () => {
  const watcher = remote();
  const canceller = remote();
  const source = watcher.source('job-1');
  const outcome = rejection(new Cancelable({ name: 'export', sources: [source] }).run((scope) => scope.sleep(60_000)));
  await waitFor('the LISTEN connection', async () => (await listeners()) === 1);
  await waitFor('the lease', () => canceller.get('job-1'));
  expect(await canceller.cancel('job-1', { reason: 'signal', message: 'Shutting down', by: 'deployer' })).toEqual({ cancelled: true, running: true });
  const error = await outcome;
  expect(error).toBeInstanceOf(SignalCancelation);
  expect(error.message).toBe('Shutting down');
  expect(source.state).toMatchObject({ reason: 'signal', message: 'Shutting down', by: 'deployer' });
  await waitFor('the lease to go', async () => (await canceller.get('job-1')) === undefined);
});

test('through a single pg Client (no pool): LISTEN gets its own connection with the same settings', async () => {
  const client = new pg.Client({ connectionString: server.url });
  clients.push(client);
  await client.connect();
  const watcher = createPostgresCancelation({ client, namespace: ns, pollMs: 3_600_000 });
  remotes.push(watcher);
  const outcome = rejection(new Cancelable({ sources: [watcher.source('job-client')] }).run((scope) => scope.sleep(60_000)));
  await waitFor('the LISTEN connection', async () => (await listeners()) === 1);
  expect(await remote().cancel('job-client', { message: 'via client' })).toMatchObject({ cancelled: true });
  expect((await outcome).message).toBe('via client');
});

test('the first reason and message win; a watcher that starts after the cancel learns of it at start', async () => {
  const a = remote();
  const b = remote();
  expect(await a.cancel('job-2', { message: 'first' })).toEqual({ cancelled: true, running: false });
  expect(await b.cancel('job-2', { reason: 'timeout', message: 'second' })).toEqual({ cancelled: false, running: false });
  expect(await b.state('job-2')).toMatchObject({ reason: 'manual', message: 'first' });
  const started = Date.now();
  const error = await rejection(new Cancelable({ sources: [b.source('job-2')] }).run((scope) => scope.sleep(60_000)));
  expect(error).toBeInstanceOf(ManualCancelation);
  expect(error.message).toBe('first');
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('list(), get() and subscribe() show the fleet from the leases', async () => {
  const worker = remote({ progressIntervalMs: 20 });
  const viewer = remote();
  const events: FleetEvent[] = [];
  const off = viewer.subscribe((event) => events.push(event), { intervalMs: 25 });
  const token = new CancelationToken();
  const run = new Cancelable({ name: 'nightly-import', metadata: { table: 'orders' }, sources: [worker.source('job-3')] }).run(async (scope) => {
    await sleep(100);
    scope.reportProgress('10,000 rows');
    await token.waitForCancel();
  });
  const seen = await waitFor('the lease', () => viewer.get('job-3'));
  expect(seen).toMatchObject({ id: 'job-3', name: 'nightly-import', pid: process.pid, instance: worker.instance, metadata: { table: 'orders' } });
  expect(await viewer.list({ name: 'import', status: ['running'] })).toEqual([expect.objectContaining({ id: 'job-3' })]);
  expect(await viewer.list({ host: 'elsewhere' })).toEqual([]);
  await waitFor('the progress event', () => events.some((e) => e.type === 'update' && e.operation.progress?.message === '10,000 rows'));
  await token.cancel();
  await run;
  await waitFor('the end event', () => events.some((e) => e.type === 'end' && e.operation.id === 'job-3'));
  expect(await viewer.get('job-3')).toBeUndefined();
  off();
});

test('attach(registry) mirrors live operations and cancels them by id from anywhere', async () => {
  const host = remote();
  const other = remote();
  const registry = new OperationRegistry();
  const detach = host.attach(registry);
  const scope = new Cancelable({ id: 'op-1', name: 'resize', register: registry });
  const run = rejection(scope.run((s) => s.sleep(60_000)));
  await waitFor('the lease', () => other.get('op-1'));
  await waitFor('the LISTEN connection', async () => (await listeners()) === 1);
  expect(await other.cancel('op-1', { message: 'from the fleet' })).toEqual({ cancelled: true, running: true });
  expect((await run).message).toBe('from the fleet');
  detach();
  await waitFor('no lease left', async () => (await other.list()).length === 0);
});

test('garbage in a state row, a notification and a lease row is reported and ignored', async () => {
  const diagnostics = collectRemoteErrors();
  try {
    const watcher = remote();
    const viewer = remote();
    await viewer.list(); // creates the tables
    await admin.query(`INSERT INTO "${ns}_state" (id, reason, message, at_ms, canceller, expires_at) VALUES ('job-4', 'because', 'x', 1, 'someone', 9e15)`);
    await admin.query(`INSERT INTO "${ns}_lease" (id, instance, record, expires_at) VALUES ('bogus', 'i', '{"v":1}', 9e15)`);
    const outcome = rejection(new Cancelable({ sources: [watcher.source('job-4')] }).run((scope) => scope.sleep(60_000)));
    await waitFor('the garbage state reported', () => diagnostics.events.some((e) => e.kind === 'garbage' && e.what === 'state' && e.id === 'job-4'));
    await waitFor('the LISTEN connection', async () => (await listeners()) === 1);
    await admin.query(`SELECT pg_notify($1, $2)`, [`${ns}_cancel`, 'bad\u001b[2Jid']);
    await admin.query(`SELECT pg_notify($1, $2)`, [`${ns}_cancel`, 'y'.repeat(5_000)]);
    await waitFor('two garbage notifications reported', () => diagnostics.events.filter((e) => e.what === 'message').length >= 2);
    expect((await viewer.list()).map((op) => op.id)).toEqual(['job-4']);
    expect(diagnostics.events.some((e) => e.what === 'lease' && e.id === 'bogus')).toBe(true);
    // Nothing of it cancelled the scope; and the garbage row does not block the latch.
    expect(await viewer.cancel('job-4', { message: 'real one' })).toEqual({ cancelled: true, running: true });
    expect((await outcome).message).toBe('real one');
  } finally {
    diagnostics.stop();
  }
});

test('tables in their own schema, created on first use by several processes at once', async () => {
  const made = Array.from({ length: 4 }, () => remote({ schema: `${ns}_schema` }));
  await Promise.all(made.map((r) => r.list()));
  const { rows } = await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [`${ns}_schema`]);
  expect(rows.map((r: { table_name: string }) => r.table_name)).toEqual([`${ns}_lease`, `${ns}_state`]);
  expect(await made[0]!.cancel('in-schema')).toMatchObject({ cancelled: true });
  expect(await made[1]!.state('in-schema')).toMatchObject({ reason: 'manual' });
});

test('one LISTEN connection however many ids; close() releases it and the leases, and keeps the pool', async () => {
  const pool = pgPool(server.url);
  pools.push(pool);
  const made = createPostgresCancelation({ pool, namespace: ns, pollMs: 3_600_000 });
  const tokens = Array.from({ length: 50 }, () => new CancelationToken());
  const runs = tokens.map((token, i) => new Cancelable({ sources: [made.source(`many-${i}`)] }).run(() => token.waitForCancel()));
  await waitFor('50 leases', async () => (await made.list()).length === 50);
  expect(await listeners()).toBe(1);
  await made.close();
  await waitFor('the LISTEN connection to close', async () => (await listeners()) === 0);
  const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${ns}_lease" WHERE instance = $1`, [made.instance]);
  expect(rows[0].n).toBe(0);
  expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  for (const token of tokens) await token.cancel();
  await Promise.all(runs);
});
