// The guarantees of SPEC §11 on Redis, each with a real fault: the watcher's connection killed while
// the cancel is sent, the canceller SIGKILLed mid-cancel, concurrent cancels from several processes,
// a server restart. The slow poll is set to an hour everywhere: what is tested is never the last net.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Cancelable, CancelationToken } from '../../src/index.js';
import { createRedisCancelation, type RemoteCancelation } from '../../src/redis/index.js';
import { ensureBuilt } from '../harness/build.js';
import { FixtureProcess, FLAVORS, redisClient, rejection, sleep, TcpGate, waitFor, type Flavor, type TestClient } from './helpers.js';
import { PrivateRedis, uniqueNamespace, useRedis, type TestServer } from './servers.js';

const HOUR = 3_600_000;
let server: TestServer;
let admin: TestClient;
const namespaces: string[] = [];

beforeAll(async () => {
  ensureBuilt(); // the fixtures run against the built package
  server = await useRedis();
  admin = await redisClient('ioredis', server.url);
}, 180_000);

afterAll(async () => {
  for (const ns of namespaces) {
    let cursor = '0';
    do {
      const [next, keys] = (await admin.command(['SCAN', cursor, 'MATCH', `${ns}:*`, 'COUNT', '1000'])) as [string, string[]];
      cursor = next;
      if (keys.length > 0) await admin.command(['DEL', ...keys]);
    } while (cursor !== '0');
  }
  await admin?.close();
  await server?.stop();
});

function namespace(what: string): string {
  const ns = uniqueNamespace(what);
  namespaces.push(ns);
  return ns;
}

/** The CLIENT LIST ids of a namespace's subscriber connections. */
async function subscriberIds(client: TestClient, ns: string): Promise<string[]> {
  const list = (await client.command(['CLIENT', 'LIST', 'TYPE', 'pubsub'])) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(` name=cancelable:${ns}:sub `))
    .map((line) => /^id=(\d+)/.exec(line)![1]!);
}

const numsub = async (client: TestClient, channel: string): Promise<number> =>
  ((await client.command(['PUBSUB', 'NUMSUB', channel])) as [string, number])[1];

describe.each(FLAVORS)('through %s', (flavor: Flavor) => {
  test('a watcher whose connection is killed while the cancel is sent learns of it when it reconnects', async () => {
    const ns = namespace(`kill_${flavor.replace('-', '')}`);
    // The watcher reaches Redis through a gate: once its subscriber is killed (CLIENT KILL), the gate
    // refuses its reconnects until the cancel has been sent and published to nobody.
    const { hostname, port } = new URL(server.url);
    const gate = await TcpGate.open({ host: hostname, port: Number(port || 6379) });
    const watcherClient = await redisClient(flavor, gate.through(server.url), { reconnectMs: 100 });
    const cancellerClient = await redisClient(flavor, server.url);
    const watcher = createRedisCancelation({ client: watcherClient.client, namespace: ns, pollMs: HOUR });
    const canceller = createRedisCancelation({ client: cancellerClient.client, namespace: ns });
    try {
      const run = new Cancelable({ sources: [watcher.source('k-1')] }).run((scope) => scope.sleep(60_000));
      let settledAt = 0;
      const outcome = rejection(run).finally(() => {
        settledAt = Date.now();
      });
      const [id] = await waitFor('the subscriber', async () => {
        const ids = await subscriberIds(admin, ns);
        return ids.length === 1 ? ids : undefined;
      });
      gate.refuse();
      await admin.command(['CLIENT', 'KILL', 'ID', id!]);
      await waitFor('the subscription to be gone', async () => (await numsub(admin, `${ns}:cancel`)) === 0);
      await sleep(300); // the client has tried (and failed) to reconnect by now
      expect(await canceller.cancel('k-1', { message: 'sent while the watcher was away' })).toMatchObject({ cancelled: true });
      // The wake-up reached nobody: the watcher was not subscribed when it was published.
      expect(await numsub(admin, `${ns}:cancel`)).toBe(0);
      await sleep(200);
      expect(settledAt).toBe(0); // nothing could tell it yet
      const reopenedAt = Date.now();
      gate.accept();
      expect((await outcome).message).toBe('sent while the watcher was away');
      // It fired once back (the re-read after the reconnect), not by a poll (an hour away).
      expect(settledAt - reopenedAt).toBeLessThan(10_000);
      expect(await subscriberIds(admin, ns)).toHaveLength(1);
    } finally {
      await watcher.close();
      await canceller.close();
      await watcherClient.close();
      await cancellerClient.close();
      await gate.close();
    }
  });

  test('concurrent cancels from several processes keep exactly one reason, everywhere', { timeout: 60_000 }, async () => {
    const ns = namespace(`race_${flavor.replace('-', '')}`);
    const clients = [await redisClient(flavor, server.url), await redisClient(flavor, server.url)];
    const watchers = clients.map((c) => createRedisCancelation({ client: c.client, namespace: ns, pollMs: HOUR }));
    const cancellers = ['timeout', 'manual', 'signal', 'condition'].map(
      (reason, i) =>
        new FixtureProcess('canceller.mjs', [
          JSON.stringify({ backend: 'redis', url: server.url, ns, flavor, mode: 'once', ids: ['race-1'], reason, message: `canceller ${i}` }),
        ]),
    );
    try {
      const runs = watchers.map((w) => rejection(new Cancelable({ sources: [w.source('race-1')] }).run((scope) => scope.sleep(60_000))));
      await waitFor('both watchers', async () => (await numsub(admin, `${ns}:cancel`)) === 2);
      await Promise.all(cancellers.map((c) => c.next('ready')));
      for (const c of cancellers) c.send('go');
      const results = await Promise.all(cancellers.map((c) => c.next('result')));
      const winners = results.flatMap((r, i) => (r.cancelled === true ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      const errors = await Promise.all(runs);
      for (const error of errors) {
        expect(error.message).toBe(`canceller ${winner}`);
        expect(error.reason).toBe(['timeout', 'manual', 'signal', 'condition'][winner]);
      }
      expect(await watchers[0]!.state('race-1')).toMatchObject({ message: `canceller ${winner}`, by: `canceller-${cancellers[winner]!.child.pid}` });
    } finally {
      await Promise.all(cancellers.map((c) => c.kill()));
      for (const w of watchers) await w.close();
      for (const c of clients) await c.close();
    }
  });
});

test('a canceller SIGKILLed in the middle of cancelling leaves, for each id, the state with its wake-up or nothing', async () => {
  const ns = namespace('sigkill');
  const client = await redisClient('ioredis', server.url);
  const watcher = createRedisCancelation({ client: client.client, namespace: ns, pollMs: HOUR });
  let partialRounds = 0;
  try {
    for (let round = 0; round < 6 && partialRounds === 0; round++) {
      const ids = Array.from({ length: 3_000 }, (_, i) => `r${round}-${i}`);
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
      await waitFor('the watcher', async () => (await numsub(admin, `${ns}:cancel`)) === 1);
      const canceller = new FixtureProcess('canceller.mjs', [JSON.stringify({ backend: 'redis', url: server.url, ns, mode: 'storm', ids, concurrency: 8 })]);
      await canceller.next('ready');
      canceller.send('go');
      await canceller.next('first');
      await sleep(20 + Math.random() * 80);
      await canceller.kill('SIGKILL');
      // Wake-ups already published are delivered within moments; the poll is an hour away.
      await sleep(1_000);
      const states = (await admin.command(['MGET', ...ids.map((id) => `${ns}:{${id}}:c`)])) as Array<string | null>;
      const written = new Set(ids.filter((_, i) => states[i] !== null));
      expect([...fired].sort()).toEqual([...written].sort());
      if (written.size > 0 && written.size < ids.length) partialRounds++;
      await token.cancel();
      await Promise.all(runs);
    }
    // At least one kill landed in the middle of the storm (otherwise the test proved nothing).
    expect(partialRounds).toBeGreaterThan(0);
  } finally {
    await watcher.close();
    await client.close();
  }
}, 90_000);

describe('a restart of the server (a private one this test started)', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await PrivateRedis.start({ persistence: 'aof' });
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  test.each(FLAVORS)('never crashes a watcher (%s): it reconnects, and later cancels still arrive', async (flavor) => {
    const ns = uniqueNamespace('restart');
    const watcherClient = await redisClient(flavor, redis.url, { reconnectMs: 100 });
    const cancellerClient = await redisClient(flavor, redis.url, { reconnectMs: 100 });
    const watcher = createRedisCancelation({ client: watcherClient.client, namespace: ns, pollMs: HOUR });
    const canceller = createRedisCancelation({ client: cancellerClient.client, namespace: ns });
    const local = await redisClient('ioredis', redis.url, { reconnectMs: 100 });
    try {
      const first = rejection(new Cancelable({ sources: [watcher.source('after-restart')] }).run((scope) => scope.sleep(60_000)));
      await waitFor('the subscriber', async () => (await numsub(local, `${ns}:cancel`)) === 1);
      await redis.restart({ signal: 'SIGKILL', downMs: 300 });
      await waitFor('the subscriber back after the restart', async () => (await numsub(local, `${ns}:cancel`).catch(() => 0)) === 1, 15_000);
      expect(await canceller.cancel('after-restart', { message: 'after the restart' })).toMatchObject({ cancelled: true });
      expect((await first).message).toBe('after the restart');
      // A watcher started after the restart works too.
      const second = rejection(new Cancelable({ sources: [watcher.source('second')] }).run((scope) => scope.sleep(60_000)));
      await sleep(100);
      await canceller.cancel('second', { message: 'again' });
      expect((await second).message).toBe('again');
    } finally {
      await watcher.close();
      await canceller.close();
      for (const c of [watcherClient, cancellerClient, local]) await c.close();
    }
  }, 30_000);

  test('what persistence keeps survives the restart: with append-only persistence, a cancel made before it is still seen', async () => {
    const ns = uniqueNamespace('persist');
    const client = await redisClient('ioredis', redis.url, { reconnectMs: 100 });
    const remote: RemoteCancelation = createRedisCancelation({ client: client.client, namespace: ns, pollMs: HOUR });
    try {
      await remote.cancel('before-restart', { message: 'made before the restart' });
      await redis.restart({ signal: 'SIGKILL' }); // a crash: appendfsync always has the write on disk
      await waitFor('the client back', async () => (await client.command(['PING']).catch(() => '')) === 'PONG', 15_000);
      const error = await rejection(new Cancelable({ sources: [remote.source('before-restart')] }).run((scope) => scope.sleep(60_000)));
      expect(error.message).toBe('made before the restart');
    } finally {
      await remote.close();
      await client.close();
    }
  }, 30_000);
});
