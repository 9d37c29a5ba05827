// The guarantees of SPEC §11 on PostgreSQL, each with a real fault: the LISTEN connection terminated
// (pg_terminate_backend) while the cancel is sent, the canceller SIGKILLed mid-cancel, concurrent
// cancels from several processes, a server restart. The slow poll is an hour everywhere.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Cancelable, CancelationToken } from '../../src/index.js';
import { createPostgresCancelation } from '../../src/postgres/index.js';
import { ensureBuilt } from '../harness/build.js';
import { FixtureProcess, pgPool, rejection, sleep, TcpGate, waitFor } from './helpers.js';
import { PrivatePostgres, uniqueNamespace, usePostgres, type TestServer } from './servers.js';

const HOUR = 3_600_000;
let server: TestServer;
let admin: pg.Pool;
const namespaces: string[] = [];

beforeAll(async () => {
  ensureBuilt(); // the fixtures run against the built package
  server = await usePostgres();
  admin = pgPool(server.url, 2);
}, 180_000);

afterAll(async () => {
  for (const ns of namespaces) await admin?.query(`DROP TABLE IF EXISTS "${ns}_state", "${ns}_lease"`);
  await admin?.end();
  await server?.stop();
});

function namespace(what: string): string {
  const ns = uniqueNamespace(what);
  namespaces.push(ns);
  return ns;
}

async function listenerPids(db: pg.Pool, ns: string): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
    [`cancelable:${ns}:listen`],
  );
  return rows.map((row) => row.pid);
}

test('a watcher whose LISTEN connection is terminated while the cancel is sent learns of it when it reconnects', async () => {
  const ns = namespace('pgkill');
  const { hostname, port } = new URL(server.url);
  const gate = await TcpGate.open({ host: hostname, port: Number(port || 5432) });
  const watcherPool = pgPool(gate.through(server.url));
  const cancellerPool = pgPool(server.url);
  const watcher = createPostgresCancelation({ pool: watcherPool, namespace: ns, pollMs: HOUR });
  const canceller = createPostgresCancelation({ pool: cancellerPool, namespace: ns });
  try {
    let settledAt = 0;
    const outcome = rejection(new Cancelable({ sources: [watcher.source('k-1')] }).run((scope) => scope.sleep(60_000))).finally(() => {
      settledAt = Date.now();
    });
    const [pid] = await waitFor('the LISTEN connection', async () => {
      const pids = await listenerPids(admin, ns);
      return pids.length === 1 ? pids : undefined;
    });
    await sleep(100); // the first read after LISTEN is done
    gate.refuse();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor('the LISTEN connection to be gone', async () => (await listenerPids(admin, ns)).length === 0);
    await sleep(300); // the listener has tried (and failed) to reconnect by now
    expect(await canceller.cancel('k-1', { message: 'sent while the watcher was away' })).toMatchObject({ cancelled: true });
    expect(await listenerPids(admin, ns)).toEqual([]); // the NOTIFY reached nobody
    await sleep(200);
    expect(settledAt).toBe(0);
    const reopenedAt = Date.now();
    gate.accept();
    expect((await outcome).message).toBe('sent while the watcher was away');
    expect(settledAt - reopenedAt).toBeLessThan(15_000); // the re-read after reconnecting, not the hourly poll
    await waitFor('one LISTEN connection again', async () => (await listenerPids(admin, ns)).length === 1);
  } finally {
    await watcher.close();
    await canceller.close();
    await watcherPool.end();
    await cancellerPool.end();
    await gate.close();
  }
}, 30_000);

test('concurrent cancels from several processes keep exactly one reason, everywhere', async () => {
  const ns = namespace('pgrace');
  const pools = [pgPool(server.url), pgPool(server.url)];
  const watchers = pools.map((pool) => createPostgresCancelation({ pool, namespace: ns, pollMs: HOUR }));
  const reasons = ['timeout', 'manual', 'signal', 'condition'];
  const cancellers = reasons.map(
    (reason, i) =>
      new FixtureProcess('canceller.mjs', [JSON.stringify({ backend: 'postgres', url: server.url, ns, mode: 'once', ids: ['race-1'], reason, message: `canceller ${i}` })]),
  );
  try {
    const runs = watchers.map((w) => rejection(new Cancelable({ sources: [w.source('race-1')] }).run((scope) => scope.sleep(60_000))));
    await waitFor('both LISTEN connections', async () => (await listenerPids(admin, ns)).length === 2);
    await Promise.all(cancellers.map((c) => c.next('ready')));
    for (const c of cancellers) c.send('go');
    const results = await Promise.all(cancellers.map((c) => c.next('result')));
    const winners = results.flatMap((r, i) => (r.cancelled === true ? [i] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    for (const error of await Promise.all(runs)) {
      expect(error.message).toBe(`canceller ${winner}`);
      expect(error.reason).toBe(reasons[winner]);
    }
    expect(await watchers[1]!.state('race-1')).toMatchObject({ message: `canceller ${winner}`, by: `canceller-${cancellers[winner]!.child.pid}` });
  } finally {
    await Promise.all(cancellers.map((c) => c.kill()));
    for (const w of watchers) await w.close();
    for (const pool of pools) await pool.end();
  }
}, 60_000);

test('a canceller SIGKILLed in the middle of cancelling leaves, for each id, the state with its wake-up or nothing', async () => {
  const ns = namespace('pgsigkill');
  const pool = pgPool(server.url);
  const watcher = createPostgresCancelation({ pool, namespace: ns, pollMs: HOUR });
  let partialRounds = 0;
  try {
    for (let round = 0; round < 6 && partialRounds === 0; round++) {
      const ids = Array.from({ length: 2_000 }, (_, i) => `r${round}-${i}`);
      const fired = new Set<string>();
      const token = new CancelationToken();
      const runs = ids.map((id) => {
        const source = watcher.source(id);
        return new Cancelable({ sources: [source] })
          .run(() => token.waitForCancel())
          .catch(() => {
            if (source.state !== undefined) fired.add(id);
          });
      });
      await waitFor('the LISTEN connection', async () => (await listenerPids(admin, ns)).length === 1);
      const canceller = new FixtureProcess('canceller.mjs', [JSON.stringify({ backend: 'postgres', url: server.url, ns, mode: 'storm', ids, concurrency: 8 })]);
      await canceller.next('ready');
      canceller.send('go');
      await canceller.next('first');
      await sleep(20 + Math.random() * 80);
      await canceller.kill('SIGKILL');
      await sleep(1_500); // committed NOTIFYs are delivered within moments; the poll is an hour away
      const { rows } = await admin.query<{ id: string }>(`SELECT id FROM "${ns}_state" WHERE id = ANY($1::text[])`, [ids]);
      const written = new Set(rows.map((row) => row.id));
      expect([...fired].sort()).toEqual([...written].sort());
      if (written.size > 0 && written.size < ids.length) partialRounds++;
      await token.cancel();
      await Promise.all(runs);
    }
    expect(partialRounds).toBeGreaterThan(0);
  } finally {
    await watcher.close();
    await pool.end();
  }
}, 120_000);

describe('a restart of the server (a private one this test started)', () => {
  let postgres: PrivatePostgres;
  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
  }, 60_000);
  afterAll(async () => {
    await postgres?.stop();
  }, 30_000);

  test('never crashes a watcher: it reconnects, later cancels still arrive, and a cancel made before the restart is still seen', async () => {
    const ns = uniqueNamespace('pgrestart');
    const watcherPool = pgPool(postgres.url);
    const cancellerPool = pgPool(postgres.url);
    const watcher = createPostgresCancelation({ pool: watcherPool, namespace: ns, pollMs: HOUR });
    const canceller = createPostgresCancelation({ pool: cancellerPool, namespace: ns });
    const local = pgPool(postgres.url, 1);
    try {
      await canceller.cancel('before-restart', { message: 'made before the restart' });
      const first = rejection(new Cancelable({ sources: [watcher.source('after-restart')] }).run((scope) => scope.sleep(60_000)));
      await waitFor('the LISTEN connection', async () => (await listenerPids(local, ns)).length === 1);
      await postgres.restart({ signal: 'SIGINT', downMs: 300 });
      await waitFor('the LISTEN connection back after the restart', async () => (await listenerPids(local, ns).catch(() => [])).length === 1, 20_000);
      expect(await canceller.cancel('after-restart', { message: 'after the restart' })).toMatchObject({ cancelled: true });
      expect((await first).message).toBe('after the restart');
      // PostgreSQL is durable: the state written before the restart is still there.
      const late = await rejection(new Cancelable({ sources: [watcher.source('before-restart')] }).run((scope) => scope.sleep(60_000)));
      expect(late.message).toBe('made before the restart');
    } finally {
      await watcher.close();
      await canceller.close();
      for (const pool of [watcherPool, cancellerPool, local]) await pool.end();
    }
  }, 60_000);
});
