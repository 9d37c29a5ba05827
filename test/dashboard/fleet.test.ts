/**
 * The fleet view: the dashboard fed by a `remote` (the distributed entry's interface), polled. The
 * remote here is a small in-memory implementation of that interface over two real registries
 * ("hosts"), standing in for the Redis one another team builds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelable, OperationRegistry } from '../../src/index.js';
import { serveDashboard, type FleetOperation, type FleetRemote, type ServedDashboard } from '../../src/dashboard/index.js';
import { action, openEvents, request, until } from './helpers.js';

/** Two hosts, each a registry of real running scopes; cancels reach the scope wherever it runs. */
class InMemoryFleet implements FleetRemote {
  readonly hosts = new Map([
    ['web-1', { registry: new OperationRegistry(), pid: 101 }],
    ['worker-2', { registry: new OperationRegistry(), pid: 202 }],
  ]);
  readonly cancels: { id: string; options: unknown }[] = [];
  readonly runs: Promise<unknown>[] = [];
  failing = false;
  extra: unknown[] = [];

  start(host: string, name: string): Cancelable {
    const scope = new Cancelable({ name, register: this.hosts.get(host)!.registry });
    this.runs.push(scope.run((s) => s.sleep(1e9)).catch(() => undefined));
    return scope;
  }

  async list(filter?: { name?: string; host?: string; status?: string }): Promise<FleetOperation[]> {
    if (this.failing) throw new Error('redis is down');
    const all: FleetOperation[] = [];
    for (const [host, { registry, pid }] of this.hosts) {
      if (filter?.host !== undefined && !host.includes(filter.host)) continue;
      for (const context of registry.list()) all.push({ ...context, host, pid, instance: `${host}:${pid}` });
    }
    return [...all, ...(this.extra as FleetOperation[])];
  }

  async get(id: string): Promise<FleetOperation | undefined> {
    return (await this.list()).find((op) => (op as { id?: unknown } | null)?.id === id);
  }

  async cancel(id: string, options: { reason?: 'manual'; message?: string }): Promise<{ cancelled: boolean; running: boolean }> {
    this.cancels.push({ id, options });
    for (const { registry } of this.hosts.values()) {
      const scope = registry.get(id);
      if (scope === undefined) continue;
      const first = !scope.isCancelled;
      registry.cancel(id, { reason: options.reason ?? 'manual', message: options.message });
      return { cancelled: first, running: true };
    }
    return { cancelled: true, running: false };
  }

  async stop(): Promise<void> {
    for (const { registry } of this.hosts.values()) registry.cancelAll();
    await Promise.all(this.runs);
  }
}

let fleet: InMemoryFleet;
let served: ServedDashboard | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
  await fleet.stop();
});

async function setup(options: { lingerMs?: number } = {}): Promise<string> {
  fleet = new InMemoryFleet();
  served = await serveDashboard({ remote: fleet, pollMs: 20, updateIntervalMs: 20, ...options });
  return served.url;
}

describe('the fleet view', () => {
  it('lists every host, with host and pid; filters by host substring; the page knows it is a fleet', async () => {
    const url = await setup();
    fleet.start('web-1', 'render-page');
    fleet.start('worker-2', 'resize-images');
    fleet.start('worker-2', 'send-mail');
    await until(async () => (await request(url, 'api/operations')).json.total === 3); // read at most pollMs late
    const all = await request(url, 'api/operations');
    expect(all.json.source).toEqual({ kind: 'fleet', description: 'fleet' });
    expect(all.json.rows.map((row: { name: string; host: string; pid: number }) => [row.name, row.host, row.pid])).toEqual([
      ['render-page', 'web-1', 101],
      ['resize-images', 'worker-2', 202],
      ['send-mail', 'worker-2', 202],
    ]);
    expect((await request(url, 'api/operations?host=WORKER')).json.total).toBe(2);
    expect((await request(url, '')).text).toContain('"kind":"fleet"');
  });

  it('cancel reaches the host running it (reason manual, the message); its row then shows cancelled, and the history has it', async () => {
    const url = await setup();
    const target = fleet.start('worker-2', 'resize-images');
    fleet.start('web-1', 'render-page');
    const reply = await action(url, `api/operations/${target.id}/cancel`, { message: 'Bad batch, stop it' });
    expect(reply.json).toEqual({ found: true, cancelled: true });
    expect(fleet.cancels).toEqual([{ id: target.id, options: { reason: 'manual', message: 'Bad batch, stop it' } }]);
    expect(target.cancelError).toMatchObject({ reason: 'manual', message: 'Bad batch, stop it' });
    await until(async () => (await request(url, 'api/operations?name=resize')).json.rows[0]?.status === 'cancelled');
    const history = await request(url, 'api/history');
    expect(history.json.rows.map((row: { name: string; status: string; host: string }) => [row.name, row.status, row.host])).toEqual([
      ['resize-images', 'cancelled', 'worker-2'],
    ]);
    expect((await action(url, 'api/operations/not-in-the-fleet/cancel', {})).status).toBe(404);
  });

  it('an operation whose lease goes away without a cancel from here shows as ended (the fleet does not say how)', async () => {
    const url = await setup();
    const job = fleet.start('web-1', 'quick-job');
    await until(async () => (await request(url, 'api/operations')).json.total === 1);
    fleet.hosts.get('web-1')!.registry.cancelAll(); // ends out of our sight: its lease is gone
    await until(async () => (await request(url, 'api/operations')).json.rows.find((row: { id: string }) => row.id === job.id)?.status === 'ended');
    expect((await request(url, 'api/history')).json.rows.map((row: { name: string; status: string }) => [row.name, row.status])).toEqual([['quick-job', 'ended']]);
  });

  it('cancel by host filter cancels only that host', async () => {
    const url = await setup();
    const a = fleet.start('worker-2', 'a');
    const b = fleet.start('worker-2', 'b');
    const c = fleet.start('web-1', 'c');
    const reply = await action(url, 'api/cancel', { filter: { host: 'worker' }, message: 'drain worker-2' });
    expect(reply.json).toEqual({ matched: 2, cancelled: 2 });
    expect([a.isCancelled, b.isCancelled, c.isCancelled]).toEqual([true, true, false]);
  });

  it('polls while a page watches: new operations reach the event stream', async () => {
    const url = await setup();
    const events = await openEvents(url);
    try {
      await events.waitFor((e) => e.event === 'reset');
      const late = fleet.start('web-1', 'late');
      await events.waitFor((e) => e.event === 'ops' && e.data.rows.some((row: { id: string }) => row.id === late.id), 5_000, 'the late operation');
    } finally {
      events.close();
    }
  });

  it('a failing remote answers 502 and the server stays up; garbage from the remote is dropped or bounded', async () => {
    const url = await setup();
    await new Promise((resolve) => setTimeout(resolve, 30)); // the last read is older than pollMs
    fleet.failing = true;
    const failed = await request(url, 'api/operations');
    expect(failed.status).toBe(502);
    expect(failed.json.error).toEqual({ code: 'ESOURCE', message: 'the operations source failed: redis is down' });
    fleet.failing = false;
    await new Promise((resolve) => setTimeout(resolve, 30));
    fleet.extra = [
      null,
      'a string',
      { name: 'no id' },
      { id: 'bad\u0000id', name: 'control' },
      { id: 'x'.repeat(300), name: 'long id' },
      { id: 'ok-1', name: 'n'.repeat(5_000), status: 'exploding', startTime: 'yesterday', host: 42, metadata: { blob: 'z'.repeat(20_000) } },
    ];
    const list = await request(url, 'api/operations');
    expect(list.status).toBe(200);
    expect(list.json.rows).toHaveLength(1);
    const row = list.json.rows[0];
    expect(row).toMatchObject({ id: 'ok-1', status: 'running', startTime: null });
    expect(row.name).toHaveLength(200);
    expect(row.host).toBeUndefined();
    const detail = await request(url, 'api/operations/ok-1');
    expect(detail.json.operation.metadata).toEqual({ '[truncated]': expect.stringMatching(/characters$/) });
  });
});
