import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  ManualCancelation,
  OperationRegistry,
  cancelable,
} from '../../src/index.js';

const N = 10_000;

describe('10,000 registered operations at once', () => {
  it('are listed, filtered and cancelled; all settle and the live set empties', async () => {
    const registry = new OperationRegistry();
    const token = new CancelationToken(); // never cancelled: half the bodies wait on a token-driven race
    const never = token.waitForCancel();
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      const scope = new Cancelable({ name: `${i % 2 === 0 ? 'even' : 'odd'}-${i}`, register: registry });
      runs.push(scope.run<unknown>((s) => (i % 2 === 0 ? s.sleep(600_000) : s.race(never))).catch((error: unknown) => error));
    }
    expect(registry.size).toBe(N);
    const all = registry.list();
    expect(all).toHaveLength(N);
    expect(new Set(all.map((c) => c.id)).size).toBe(N);
    expect(registry.list({ name: 'EVEN' })).toHaveLength(N / 2);
    expect(registry.list({ name: /^odd-\d*7$/ })).toHaveLength(N / 10);
    expect(registry.list({ status: 'running', parentId: null })).toHaveLength(N);

    expect(registry.cancelAll({ name: 'odd' }, 'odd ones out')).toBe(N / 2);
    expect(registry.cancelAll({ name: 'odd' })).toBe(0);
    expect(registry.cancelAll()).toBe(N / 2);
    const outcomes = await Promise.all(runs);
    expect(outcomes.every((error) => error instanceof ManualCancelation)).toBe(true);
    expect((outcomes[1] as ManualCancelation).message).toBe('odd ones out');
    expect(registry.size).toBe(0);
    expect(registry.list()).toEqual([]);
    expect(registry.stats()).toMatchObject({
      active: 0,
      started: N,
      ended: N,
      byStatus: { running: 0, completed: 0, cancelled: N, failed: 0 },
      historySize: 1_000,
    });
    expect(token.listenerCount).toBe(0);
  });

  it('10,000 concurrent calls of a registered wrapped function get distinct ids and all unregister', async () => {
    const registry = new OperationRegistry();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const job = cancelable({ register: registry, name: 'bulk' }, (scope, i: number) => scope.race(gate).then(() => i));
    const calls = Array.from({ length: N }, (_, i) => job(i));
    expect(registry.list({ name: 'bulk' })).toHaveLength(N);
    release();
    const results = await Promise.all(calls);
    expect(results[N - 1]).toBe(N - 1);
    expect(registry.size).toBe(0);
    expect(registry.stats().byStatus.completed).toBe(N);
  });

  it('a registered parent with 10,000 registered children: cancelling the parent empties the registry', async () => {
    const registry = new OperationRegistry();
    const children: Promise<unknown>[] = [];
    const parent = new Cancelable({ name: 'parent', register: registry });
    const run = parent
      .run(async (p) => {
        for (let i = 0; i < N; i++) {
          children.push(
            new Cancelable({ name: `child-${i}`, register: registry }).run((c) => c.sleep(600_000)).catch((e: unknown) => e),
          );
        }
        await p.sleep(600_000);
      })
      .catch((e: unknown) => e);
    expect(registry.list({ parentId: parent.id })).toHaveLength(N);
    expect(registry.cancel(parent.id, 'stop the batch')).toBe(true);
    await Promise.all(children);
    await run;
    expect(registry.size).toBe(0);
    expect(registry.history({ status: 'cancelled' })).toHaveLength(1_000);
  });
});

describe('registry.listen()', () => {
  it('serves the registry on a control socket (list and cancel through it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cancelable-registry-'));
    const registry = new OperationRegistry();
    const server = await registry.listen({ path: join(dir, 'control.sock') });
    const scope = new Cancelable({ name: 'remote-target', register: registry });
    const done = scope.run((s) => s.sleep(600_000)).catch((e: unknown) => e);
    const socket = connect(server.path);
    try {
      const responses: Record<string, unknown>[] = [];
      let buffered = '';
      const received = (count: number): Promise<void> =>
        new Promise((resolve) => {
          const check = (): void => {
            if (responses.length >= count) {
              socket.off('data', onData);
              resolve();
            }
          };
          const onData = (chunk: Buffer): void => {
            buffered += chunk.toString('utf8');
            let newline: number;
            while ((newline = buffered.indexOf('\n')) >= 0) {
              responses.push(JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>);
              buffered = buffered.slice(newline + 1);
            }
            check();
          };
          socket.on('data', onData);
          check();
        });
      socket.write(`${JSON.stringify({ id: 1, op: 'list', filter: { name: 'remote' } })}\n`);
      await received(1);
      expect(responses[0]).toMatchObject({ id: 1, ok: true, result: [{ id: scope.id, name: 'remote-target' }] });
      socket.write(`${JSON.stringify({ id: 2, op: 'cancel', operationId: scope.id, message: 'from the CLI' })}\n`);
      await received(2);
      expect(responses[1]).toMatchObject({ id: 2, ok: true, result: true });
      expect(await done).toMatchObject({ reason: 'manual', message: 'from the CLI' });
    } finally {
      socket.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
