// Across real processes: a scope running in one child process is cancelled by remote.cancel from
// another child process; the fleet view (a third party: this test) sees it while it runs.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPostgresCancelation } from '../../src/postgres/index.js';
import { createRedisCancelation, type RemoteCancelation } from '../../src/redis/index.js';
import { ensureBuilt } from '../harness/build.js';
import { FixtureProcess, pgPool, redisClient, waitFor, type TestClient } from './helpers.js';
import { uniqueNamespace, usePostgres, useRedis, type TestServer } from './servers.js';

let redis: TestServer;
let postgres: TestServer;
let redisAdmin: TestClient;
let pgAdmin: pg.Pool;
const ns = uniqueNamespace('xproc');

beforeAll(async () => {
  ensureBuilt(); // the fixtures run against the built package
  redis = await useRedis();
  postgres = await usePostgres();
  redisAdmin = await redisClient('ioredis', redis.url);
  pgAdmin = pgPool(postgres.url, 2);
}, 180_000);

afterAll(async () => {
  const keys = (await redisAdmin.command(['KEYS', `${ns}:*`])) as string[];
  if (keys.length > 0) await redisAdmin.command(['DEL', ...keys]);
  await redisAdmin?.close();
  await pgAdmin?.query(`DROP TABLE IF EXISTS "${ns}_state", "${ns}_lease"`);
  await pgAdmin?.end();
  await redis?.stop();
  await postgres?.stop();
});

const backends = [
  { name: 'Redis (ioredis)', backend: 'redis', flavor: 'ioredis' },
  { name: 'Redis (node-redis)', backend: 'redis', flavor: 'node-redis' },
  { name: 'PostgreSQL', backend: 'postgres', flavor: undefined },
] as const;

describe.each(backends)('$name', ({ backend, flavor }) => {
  const url = (): string => (backend === 'redis' ? redis.url : postgres.url);
  const viewer = (): RemoteCancelation =>
    backend === 'redis'
      ? createRedisCancelation({ client: redisAdmin.client, namespace: ns })
      : createPostgresCancelation({ pool: pgAdmin, namespace: ns });

  test('a scope in one process is cancelled by remote.cancel from another; the fleet sees it while it runs', async () => {
    const id = `${backend}-${flavor ?? 'pg'}-running`;
    const fleet = viewer();
    const watcher = new FixtureProcess('watcher.mjs', [JSON.stringify({ backend, flavor, url: url(), ns, id, name: 'generate-report' })]);
    const canceller = new FixtureProcess('canceller.mjs', [
      JSON.stringify({ backend, flavor, url: url(), ns, mode: 'once', ids: [id], message: 'User pressed Stop' }),
    ]);
    try {
      const { pid } = await watcher.next('started');
      const seen = await waitFor('the watcher in the fleet', () => fleet.get(id));
      expect(seen).toMatchObject({ id, name: 'generate-report', pid, status: 'running' });
      await canceller.next('ready');
      canceller.send('go');
      expect(await canceller.next('result')).toMatchObject({ cancelled: true, running: true });
      expect(await watcher.next('cancelled')).toMatchObject({ name: 'ManualCancelation', reason: 'manual', message: 'User pressed Stop' });
      expect((await watcher.exited).code).toBe(0);
      await waitFor('the lease to go', async () => (await fleet.get(id)) === undefined);
    } finally {
      await watcher.kill();
      await canceller.kill();
      await fleet.close();
    }
  }, 90_000);

  test('a process that starts after the cancel is cancelled at start', async () => {
    const id = `${backend}-${flavor ?? 'pg'}-late`;
    const canceller = new FixtureProcess('canceller.mjs', [
      JSON.stringify({ backend, flavor, url: url(), ns, mode: 'once', ids: [id], reason: 'signal', message: 'Cancelled before it started' }),
    ]);
    await canceller.next('ready');
    canceller.send('go');
    expect(await canceller.next('result')).toMatchObject({ cancelled: true, running: false });
    await canceller.exited;
    const watcher = new FixtureProcess('watcher.mjs', [JSON.stringify({ backend, flavor, url: url(), ns, id })]);
    try {
      expect(await watcher.next('cancelled')).toMatchObject({ name: 'SignalCancelation', reason: 'signal', message: 'Cancelled before it started' });
      expect((await watcher.exited).code).toBe(0);
    } finally {
      await watcher.kill();
    }
  }, 90_000);
});
