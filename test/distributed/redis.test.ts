// cancelable-ts/redis against a real Redis, through ioredis and through node-redis: the API of SPEC §11
// (source, cancel, list/get, attach, subscribe, close) and what a hostile writer can do to it.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Cancelable, CancelationToken, ManualCancelation, OperationRegistry, TimeoutCancelation } from '../../src/index.js';
import { createRedisCancelation, type FleetEvent, type RemoteCancelation, type RedisCancelationOptions } from '../../src/redis/index.js';
import { collectRemoteErrors, FLAVORS, redisClient, sleep, waitFor, type TestClient } from './helpers.js';
import { uniqueNamespace, useRedis, type TestServer } from './servers.js';

let server: TestServer;
let admin: TestClient;
const namespaces: string[] = [];

beforeAll(async () => {
  server = await useRedis();
  admin = await redisClient('ioredis', server.url);
}, 60_000);

afterAll(async () => {
  for (const ns of namespaces) await deleteNamespace(ns);
  await admin?.close();
  await server?.stop();
});

async function deleteNamespace(ns: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = (await admin.command(['SCAN', cursor, 'MATCH', `${ns}:*`, 'COUNT', '1000'])) as [string, string[]];
    cursor = next;
    if (keys.length > 0) await admin.command(['DEL', ...keys]);
  } while (cursor !== '0');
}

/** Subscriber connections of a namespace, from the server's own CLIENT LIST. */
async function subscribers(ns: string): Promise<string[]> {
  const list = (await admin.command(['CLIENT', 'LIST', 'TYPE', 'pubsub'])) as string;
  return list.split('\n').filter((line) => line.includes(` name=cancelable:${ns}:sub `));
}

describe.each(FLAVORS)('Redis through %s', (flavor) => {
  const ns = uniqueNamespace(`redis_${flavor.replace('-', '')}`);
  namespaces.push(ns);
  const clients: TestClient[] = [];
  const remotes: RemoteCancelation[] = [];

  /** A remote on its own connection: as another process would have. */
  async function remote(options: Partial<RedisCancelationOptions> = {}): Promise<RemoteCancelation> {
    const client = await redisClient(flavor, server.url);
    clients.push(client);
    const made = createRedisCancelation({ client: client.client, namespace: ns, pollMs: 3_600_000, ...options });
    remotes.push(made);
    return made;
  }

  const listening = (channel = `${ns}:cancel`): Promise<unknown> =>
    waitFor(`a subscriber on ${channel}`, async () => ((await admin.command(['PUBSUB', 'NUMSUB', channel])) as [string, number])[1] >= 1);

  afterEach(async () => {
    for (const made of remotes.splice(0)) await made.close();
    for (const client of clients.splice(0)) await client.close();
  });

  test('a scope is cancelled by remote.cancel from another connection, with its reason and message', async () => {
    const watcher = await remote();
    const canceller = await remote();
    const source = watcher.source('job-1');
    const run = new Cancelable({ name: 'export', sources: [source] }).run((scope) => scope.sleep(60_000));
    const outcome = run.then(
      () => 'completed',
      (error: unknown) => error,
    );
    await listening();
    await waitFor('the lease', () => canceller.get('job-1'));
    const result = await canceller.cancel('job-1', { message: 'User pressed Stop', by: 'api-2' });
    expect(result).toEqual({ cancelled: true, running: true });
    const error = await outcome;
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as ManualCancelation).message).toBe('User pressed Stop');
    expect(source.state).toMatchObject({ reason: 'manual', message: 'User pressed Stop', by: 'api-2' });
    // The scope ended: its lease is gone.
    await waitFor('the lease to go', async () => (await canceller.get('job-1')) === undefined);
  });

  test('the first reason and message win; later cancels change nothing', async () => {
    const a = await remote();
    const b = await remote();
    expect(await a.cancel('job-2', { reason: 'timeout', message: 'first' })).toEqual({ cancelled: true, running: false });
    expect(await b.cancel('job-2', { message: 'second' })).toEqual({ cancelled: false, running: false });
    expect(await b.state('job-2')).toMatchObject({ reason: 'timeout', message: 'first' });
    const error = await new Cancelable({ sources: [b.source('job-2')] }).run((scope) => scope.sleep(60_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as Error).message).toBe('first');
  });

  test('a watcher that starts after the cancel learns of it at start (no poll: pollMs is an hour)', async () => {
    const canceller = await remote();
    await canceller.cancel('job-3', { message: 'cancelled before it ran' });
    const watcher = await remote();
    const started = Date.now();
    const error = await new Cancelable({ sources: [watcher.source('job-3')] }).run((scope) => scope.sleep(60_000)).catch((e: unknown) => e);
    expect((error as Error).message).toBe('cancelled before it ran');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('list() and get() show the live operations of the fleet from their leases', async () => {
    const worker = await remote();
    const viewer = await remote();
    const token = new CancelationToken();
    const run = new Cancelable({ name: 'nightly-export', metadata: { tenant: 'acme' }, sources: [worker.source('job-4')] }).run(async (scope) => {
      scope.reportProgress('page 1');
      await token.waitForCancel();
    });
    const seen = await waitFor('the lease', () => viewer.get('job-4'));
    expect(seen).toMatchObject({ id: 'job-4', name: 'nightly-export', status: 'running', pid: process.pid, instance: worker.instance, metadata: { tenant: 'acme' } });
    expect(typeof seen.host).toBe('string');
    expect(await viewer.list({ name: 'NIGHTLY' })).toEqual([expect.objectContaining({ id: 'job-4' })]);
    expect(await viewer.list({ name: /^nightly-/, status: 'running', host: seen.host })).toHaveLength(1);
    expect(await viewer.list({ name: 'nothing like it' })).toEqual([]);
    await token.cancel();
    await run;
    await waitFor('the lease to be released', async () => (await viewer.get('job-4')) === undefined);
    expect(await viewer.list()).toEqual([]);
  });

  test('attach(registry) mirrors live operations as leases and cancels them by id from anywhere', async () => {
    const host = await remote({ progressIntervalMs: 20 });
    const admin2 = await remote();
    const registry = new OperationRegistry();
    const before = new Cancelable({ id: 'op-before', name: 'already-running', register: registry });
    const beforeRun = before.run((scope) => scope.sleep(60_000)).catch((e: unknown) => e);
    const detach = host.attach(registry);
    const after = new Cancelable({ id: 'op-after', name: 'started-later', register: registry });
    const afterRun = after.run(async (scope) => {
      scope.reportProgress('halfway', { percent: 50 });
      await scope.sleep(60_000);
    }).catch((e: unknown) => e);
    await waitFor('both leases', async () => (await admin2.list()).length === 2);
    await waitFor('the progress in the lease', async () => (await admin2.get('op-after'))?.progress?.message === 'halfway');
    await listening();
    expect(await admin2.cancel('op-after', { message: 'Stopped from the dashboard' })).toEqual({ cancelled: true, running: true });
    expect(await afterRun).toBeInstanceOf(ManualCancelation);
    expect(after.context.cancelMessage).toBe('Stopped from the dashboard');
    await waitFor('the ended operation to leave the fleet', async () => (await admin2.list()).map((op) => op.id).join() === 'op-before');
    detach();
    await waitFor('detach to release the last lease', async () => (await admin2.list()).length === 0);
    expect(before.isCancelled).toBe(false);
    before.cancel('done');
    await beforeRun;
  });

  test('subscribe() reports operations starting, progressing and ending', async () => {
    const worker = await remote({ progressIntervalMs: 20 });
    const viewer = await remote();
    const events: FleetEvent[] = [];
    const off = viewer.subscribe((event) => events.push(event), { intervalMs: 25 });
    const token = new CancelationToken();
    const run = new Cancelable({ name: 'watched', sources: [worker.source('job-5')] }).run(async (scope) => {
      await sleep(150);
      scope.reportProgress('step 2');
      await token.waitForCancel();
    });
    await waitFor('start', () => events.some((e) => e.type === 'start' && e.operation.id === 'job-5'));
    await waitFor('update', () => events.some((e) => e.type === 'update' && e.operation.progress?.message === 'step 2'));
    await token.cancel();
    await run;
    await waitFor('end', () => events.some((e) => e.type === 'end' && e.operation.id === 'job-5'));
    off();
  });

  test('garbage in a state key, on the channel and in the lease index is reported and ignored', async () => {
    const diagnostics = collectRemoteErrors();
    try {
      const watcher = await remote();
      const viewer = await remote();
      await admin.command(['SET', `${ns}:{job-6}:c`, '{"reason":"because","message":"\u001b[2J"}']);
      const run = new Cancelable({ sources: [watcher.source('job-6')] }).run((scope) => scope.sleep(60_000));
      const outcome = run.catch((e: unknown) => e);
      await listening();
      await waitFor('the garbage state reported', () => diagnostics.events.some((e) => e.kind === 'garbage' && e.what === 'state' && e.id === 'job-6'));
      await admin.command(['PUBLISH', `${ns}:cancel`, 'job-6\u0000\u001b[31m']);
      await admin.command(['PUBLISH', `${ns}:cancel`, 'x'.repeat(10_000)]);
      await admin.command(['SADD', `${ns}:leases`, 'bogus-lease', 'bad\nid']);
      await admin.command(['SET', `${ns}:{bogus-lease}:live`, '{"v":1,"host":"h","pid":-1}']);
      await waitFor('two garbage messages reported', () => diagnostics.events.filter((e) => e.kind === 'garbage' && e.what === 'message').length >= 2);
      expect((await viewer.list()).map((op) => op.id)).toEqual(['job-6']);
      expect(diagnostics.events.some((e) => e.what === 'lease' && e.id === 'bogus-lease')).toBe(true);
      expect(diagnostics.events.some((e) => e.what === 'lease-index')).toBe(true);
      // Nothing of it cancelled the scope or broke the watcher; and the garbage does not block the latch.
      await sleep(50);
      expect(watcher.closed).toBe(false);
      expect(await viewer.cancel('job-6', { message: 'real one' })).toEqual({ cancelled: true, running: true });
      expect(((await outcome) as Error).message).toBe('real one');
    } finally {
      diagnostics.stop();
    }
  });

  test('one subscriber connection per remote however many ids; close() releases it, the leases and keeps the client', async () => {
    const client = await redisClient(flavor, server.url);
    clients.push(client);
    const made = createRedisCancelation({ client: client.client, namespace: ns, pollMs: 3_600_000 });
    const tokens = Array.from({ length: 50 }, () => new CancelationToken());
    const runs = tokens.map((token, i) =>
      new Cancelable({ sources: [made.source(`many-${i}`)] }).run(() => token.waitForCancel()).catch((e: unknown) => e),
    );
    await waitFor('the subscriber', async () => (await subscribers(ns)).length === 1);
    await waitFor('50 leases', async () => (await made.list()).length === 50);
    expect(await subscribers(ns)).toHaveLength(1);
    await made.close();
    expect(await subscribers(ns)).toHaveLength(0);
    expect(await admin.command(['EXISTS', `${ns}:{many-0}:live`])).toBe(0);
    expect(await client.command(['PING'])).toBe('PONG'); // the user's client is still theirs, still open
    for (const token of tokens) await token.cancel();
    await Promise.all(runs);
  });

  test('sharded wake-ups: one SSUBSCRIBE channel per id, same guarantees', async () => {
    const watcher = await remote({ sharded: true });
    const canceller = await remote({ sharded: true });
    const run = new Cancelable({ sources: [watcher.source('{shard}-7')] }).run((scope) => scope.sleep(60_000)).catch((e: unknown) => e);
    const channel = `${ns}:{%7Bshard%7D-7}:cancel`;
    await waitFor('the shard channel', async () => ((await admin.command(['PUBSUB', 'SHARDNUMSUB', channel])) as [string, number])[1] === 1);
    expect(await canceller.cancel('{shard}-7', { message: 'sharded' })).toEqual({ cancelled: true, running: true });
    expect(((await run) as Error).message).toBe('sharded');
    await waitFor('the shard channel to be left', async () => ((await admin.command(['PUBSUB', 'SHARDNUMSUB', channel])) as [string, number])[1] === 0);
  });
});
