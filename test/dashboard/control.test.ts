/**
 * The dashboard of another process (what `cancelable dashboard --pid|--socket` serves): a real
 * program serves its registry on a control socket; controlSource() connects to it; the dashboard in
 * this process lists, streams and cancels that program's operations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlSource, serveDashboard, type ServedDashboard } from '../../src/dashboard/index.js';
import { action, openEvents, request, until } from './helpers.js';
import { TargetProcess } from './target-process.js';

const dir = mkdtempSync(join(tmpdir(), 'cancelable-dash-'));
let target: TargetProcess;
let served: ServedDashboard;

beforeAll(async () => {
  const started = await TargetProcess.start({ mode: 'listen', socket: join(dir, 'target.sock') });
  target = started.target;
  served = await serveDashboard({ source: await controlSource({ path: started.ready.path }), updateIntervalMs: 50 });
}, 40_000);

afterAll(async () => {
  await served?.close();
  await target?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('controlSource()', () => {
  it("lists the other process's operations, with its progress, through the control socket", async () => {
    const list = await request(served.url, 'api/operations');
    expect(list.json.source).toEqual({ kind: 'process', description: join(dir, 'target.sock') });
    expect(list.json.rows.map((row: { name: string }) => row.name).sort()).toEqual(
      ['<img src=x onerror=alert(1)>', 'import-orders', 'import-users', 'long-report', 'nightly-import'].sort(),
    );
    const users = list.json.rows.find((row: { name: string }) => row.name === 'import-users');
    const detail = await request(served.url, `api/operations/${users.id}`);
    expect(detail.json.parents.map((parent: { name: string }) => parent.name)).toEqual(['nightly-import']);
    expect(detail.json.operation.metadata).toEqual({ owner: 'tests' });
  });

  it('streams its progress as it happens (watch events)', async () => {
    const events = await openEvents(served.url);
    try {
      const first = await events.waitFor(
        (e) => e.event === 'ops' && e.data.rows.some((row: { name: string; progress: unknown }) => row.name === 'import-users' && row.progress !== null),
      );
      const before = first.data.rows.find((row: { name: string }) => row.name === 'import-users').progress.at;
      await events.waitFor(
        (e) => e.event === 'ops' && e.data.rows.some((row: { name: string; progress: { at: number } | null }) => row.name === 'import-users' && (row.progress?.at ?? 0) > before),
        5_000,
        'a later progress report',
      );
    } finally {
      events.close();
    }
  });

  it('a cancel with a message from the dashboard cancels the operation in the other process', async () => {
    const list = await request(served.url, 'api/operations?name=long-report');
    const id = list.json.rows[0].id;
    const reply = await action(served.url, `api/operations/${id}/cancel`, { message: 'Stopped over the control socket' });
    expect(reply.json).toEqual({ found: true, cancelled: true });
    const ended = await target.waitFor((line) => line.ended?.name === 'long-report');
    expect(ended.ended).toEqual({ name: 'long-report', status: 'cancelled', reason: 'manual', message: 'Stopped over the control socket' });
    await until(async () => (await request(served.url, 'api/operations?name=long-report')).json.rows[0]?.status === 'cancelled');
    const history = await request(served.url, 'api/history?name=long-report');
    expect(history.json.rows[0]).toMatchObject({ status: 'cancelled', cancelReason: 'manual', cancelMessage: 'Stopped over the control socket' });
  });

  it('refuses bad options and says when nothing listens', async () => {
    await expect(controlSource({ path: join(dir, 'nobody.sock') })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(controlSource({ pid: 1, socket: 'x' } as never)).rejects.toThrow(/options\.socket is not an option/);
    await expect(controlSource(null as never)).rejects.toThrow(TypeError);
  });
});
