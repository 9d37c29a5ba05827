// Scale: 10,000 ids watched in one process ride one subscriber (Redis) or one LISTEN connection
// (PostgreSQL); when that connection is killed and 10,000 cancels are sent meanwhile, the re-read
// after the reconnect finds every one of them (the poll is an hour away).
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Cancelable, CancelationToken } from '../../src/index.js';
import { createPostgresCancelation } from '../../src/postgres/index.js';
import { createRedisCancelation, type RemoteCancelation } from '../../src/redis/index.js';
import { FLAVORS, pgPool, redisClient, sleep, TcpGate, waitFor, type Flavor, type TestClient } from './helpers.js';
import { uniqueNamespace, usePostgres, useRedis, type TestServer } from './servers.js';

const HOUR = 3_600_000;
const COUNT = 10_000;

/** 10,000 scopes, each watching its own id; `fired` counts those cancelled through the remote. */
function watchMany(remote: RemoteCancelation, prefix: string): { ids: string[]; fired: () => number; release: () => Promise<void> } {
  const token = new CancelationToken();
  const ids = Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}`);
  let fired = 0;
  const runs = ids.map((id) => {
    const source = remote.source(id);
    return new Cancelable({ sources: [source], parent: null })
      .run(() => token.waitForCancel())
      .catch(() => {
        if (source.state !== undefined) fired++;
      });
  });
  return {
    ids,
    fired: () => fired,
    release: async () => {
      await token.cancel();
      await Promise.all(runs);
    },
  };
}

/** Sends every cancel, `lanes` at a time. */
async function cancelAll(remote: RemoteCancelation, ids: readonly string[], lanes = 32): Promise<number> {
  let next = 0;
  let cancelled = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < ids.length) {
        if ((await remote.cancel(ids[next++]!, { message: 'bulk' })).cancelled) cancelled++;
      }
    }),
  );
  return cancelled;
}

describe('Redis', () => {
  let server: TestServer;
  let admin: TestClient;
  const namespaces: string[] = [];
  beforeAll(async () => {
    server = await useRedis();
    admin = await redisClient('ioredis', server.url);
  }, 60_000);
  afterAll(async () => {
    for (const ns of namespaces) {
      let cursor = '0';
      do {
        const [next, keys] = (await admin.command(['SCAN', cursor, 'MATCH', `${ns}:*`, 'COUNT', '5000'])) as [string, string[]];
        cursor = next;
        if (keys.length > 0) await admin.command(['DEL', ...keys]);
      } while (cursor !== '0');
    }
    await admin?.close();
    await server?.stop();
  });

  const subscriberIds = async (ns: string): Promise<string[]> =>
    ((await admin.command(['CLIENT', 'LIST', 'TYPE', 'pubsub'])) as string)
      .split('\n')
      .filter((line) => line.includes(` name=cancelable:${ns}:sub `))
      .map((line) => /^id=(\d+)/.exec(line)![1]!);

  test.each(FLAVORS)('10,000 watched ids through %s: one subscriber connection, and one re-read after a reconnect finds 10,000 cancels', async (flavor: Flavor) => {
    const ns = uniqueNamespace(`scale_${flavor.replace('-', '')}`);
    namespaces.push(ns);
    const { hostname, port } = new URL(server.url);
    const gate = await TcpGate.open({ host: hostname, port: Number(port || 6379) });
    const watcherClient = await redisClient(flavor, gate.through(server.url), { reconnectMs: 100 });
    const cancellerClient = await redisClient(flavor, server.url);
    const watcher = createRedisCancelation({ client: watcherClient.client, namespace: ns, pollMs: HOUR });
    const canceller = createRedisCancelation({ client: cancellerClient.client, namespace: ns });
    const many = watchMany(watcher, 's');
    try {
      await waitFor('10,000 leases', async () => (await canceller.list()).length === COUNT, 60_000);
      const subscribers = await subscriberIds(ns);
      expect(subscribers).toHaveLength(1);
      gate.refuse();
      await admin.command(['CLIENT', 'KILL', 'ID', subscribers[0]!]);
      await waitFor('the subscriber to be gone', async () => (await subscriberIds(ns)).length === 0);
      expect(await cancelAll(canceller, many.ids)).toBe(COUNT);
      await sleep(200);
      expect(many.fired()).toBe(0); // every wake-up was published to nobody
      gate.accept();
      await waitFor('all 10,000 scopes cancelled', () => many.fired() === COUNT, 60_000);
      expect(await subscriberIds(ns)).toHaveLength(1);
    } finally {
      await many.release();
      await watcher.close();
      await canceller.close();
      await watcherClient.close();
      await cancellerClient.close();
      await gate.close();
    }
  }, 180_000);
});

describe('PostgreSQL', () => {
  let server: TestServer;
  let admin: pg.Pool;
  const ns = uniqueNamespace('pgscale');
  beforeAll(async () => {
    server = await usePostgres();
    admin = pgPool(server.url, 2);
  }, 60_000);
  afterAll(async () => {
    await admin?.query(`DROP TABLE IF EXISTS "${ns}_state", "${ns}_lease"`);
    await admin?.end();
    await server?.stop();
  });

  const listenerPids = async (): Promise<number[]> =>
    (
      await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`, [
        `cancelable:${ns}:listen`,
      ])
    ).rows.map((row) => row.pid);

  test('10,000 watched ids: one LISTEN connection, and one re-read after a reconnect finds 10,000 cancels', async () => {
    const { hostname, port } = new URL(server.url);
    const gate = await TcpGate.open({ host: hostname, port: Number(port || 5432) });
    const watcherPool = pgPool(gate.through(server.url));
    const cancellerPool = pgPool(server.url, 8);
    const watcher = createPostgresCancelation({ pool: watcherPool, namespace: ns, pollMs: HOUR });
    const canceller = createPostgresCancelation({ pool: cancellerPool, namespace: ns });
    const many = watchMany(watcher, 'p');
    try {
      await waitFor('10,000 leases', async () => (await canceller.list()).length === COUNT, 60_000);
      const pids = await listenerPids();
      expect(pids).toHaveLength(1);
      gate.refuse();
      await admin.query('SELECT pg_terminate_backend($1)', [pids[0]]);
      await waitFor('the LISTEN connection to be gone', async () => (await listenerPids()).length === 0);
      expect(await cancelAll(canceller, many.ids, 8)).toBe(COUNT);
      await sleep(200);
      expect(many.fired()).toBe(0);
      gate.accept();
      await waitFor('all 10,000 scopes cancelled', () => many.fired() === COUNT, 60_000);
      expect(await listenerPids()).toHaveLength(1);
    } finally {
      await many.release();
      await watcher.close();
      await canceller.close();
      await watcherPool.end();
      await cancellerPool.end();
      await gate.close();
    }
  }, 240_000);
});
